-- Skill-bank registrations → one person, so someone registered with both bureaus counts (and is
-- matched) once. Only keyed hashes are compared; registrations in different bureau feeds are the same
-- person when
--   (1) email agrees and so does date of birth or first name (a shared household email alone is not enough), or
--   (2) date of birth and surname agree, or
--   (3) date of birth, first name and postcode agree (surname typo or change, different email).
-- Registrations in one feed are never merged (a bureau's own ids are its unit). person_key is the
-- smallest volunteer_key of the group (two rounds of min-label propagation: exact for the chains two
-- feeds produce). volunteer_ref is the published pseudonym: a digest of the person key with the
-- registration's keyed hashes, so it cannot be recomputed from a bureau's volunteer id without the
-- hashing key. Precision/recall on the demo: tests/test_volunteer_matches.py.
with regs as (
    select volunteer_key, bureau_feed, email_hash, first_name_hash, surname_hash, dob_hash, postcode_hash
    from {{ ref('stg_bureaus__volunteers') }}
),

edges as (
    select a.volunteer_key as key_a, b.volunteer_key as key_b
    from regs as a
    inner join regs as b
        on a.email_hash = b.email_hash and a.bureau_feed <> b.bureau_feed
    where a.dob_hash = b.dob_hash or a.first_name_hash = b.first_name_hash
    union
    select a.volunteer_key, b.volunteer_key
    from regs as a
    inner join regs as b
        on a.dob_hash = b.dob_hash and a.surname_hash = b.surname_hash and a.bureau_feed <> b.bureau_feed
    union
    select a.volunteer_key, b.volunteer_key
    from regs as a
    inner join regs as b
        on a.dob_hash = b.dob_hash and a.first_name_hash = b.first_name_hash
        and a.postcode_hash = b.postcode_hash and a.bureau_feed <> b.bureau_feed
),

round_1 as (
    select r.volunteer_key, least(r.volunteer_key, coalesce(min(e.key_b), r.volunteer_key)) as label
    from regs as r
    left join edges as e on r.volunteer_key = e.key_a
    group by r.volunteer_key
),

round_2 as (
    select r.volunteer_key, least(r.label, coalesce(min(n.label), r.label)) as label
    from round_1 as r
    left join edges as e on r.volunteer_key = e.key_a
    left join round_1 as n on e.key_b = n.volunteer_key
    group by r.volunteer_key, r.label
),

person_seed as (
    select volunteer_key as person_key,
           coalesce(email_hash, '') || coalesce(dob_hash, '') || coalesce(surname_hash, '')
               || coalesce(first_name_hash, '') as identity_digest
    from regs
)

select
    r.volunteer_key,
    g.bureau_feed,
    r.label as person_key,
    'VOL-' || substr({{ dbt.hash("p.person_key || '|' || p.identity_digest") }}, 1, 16) as volunteer_ref,
    cast(count(*) over (partition by r.label) as integer) as registrations
from round_2 as r
inner join regs as g on r.volunteer_key = g.volunteer_key
inner join person_seed as p on r.label = p.person_key
