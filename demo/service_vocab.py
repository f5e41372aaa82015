"""Canonical service categories, each directory type's wording for them, and naming templates."""

from __future__ import annotations

#: key → (share of canonical services, directory kind that alone uses it or "")
CATEGORIES: dict[str, tuple[float, str]] = {
    "debt_advice": (0.07, ""), "food_bank": (0.06, ""), "mental_health": (0.08, ""), "carers": (0.06, ""),
    "youth_club": (0.08, ""), "lunch_club": (0.07, ""), "employment": (0.06, ""), "housing_advice": (0.06, ""),
    "domestic_abuse": (0.04, ""), "drug_alcohol": (0.04, ""), "parenting": (0.07, ""), "disability": (0.06, ""),
    "digital_skills": (0.06, ""), "esol": (0.05, ""), "physical_activity": (0.09, ""),
    "welfare_benefits": (0.03, "council"), "social_prescribing": (0.03, "nhs"), "befriending": (0.03, "vcs"),
}
CATEGORY_KEYS = tuple(CATEGORIES)

#: Categories a deprived ward may lack entirely (deliberate gaps).
GAP_PRONE = ("mental_health", "digital_skills", "parenting", "physical_activity", "esol", "carers", "youth_club")

#: How likely each directory kind is to list a service of each category.
AFFINITY: dict[str, dict[str, float]] = {
    "council": {"housing_advice": 3, "employment": 2, "youth_club": 2, "parenting": 3, "digital_skills": 2,
                "esol": 2, "welfare_benefits": 3, "physical_activity": 1, "lunch_club": 1, "debt_advice": 1,
                "food_bank": 1, "carers": 1, "disability": 1, "domestic_abuse": 1},
    "nhs": {"mental_health": 3, "drug_alcohol": 3, "carers": 2, "disability": 2, "physical_activity": 2,
            "social_prescribing": 3, "parenting": 1, "lunch_club": 1, "domestic_abuse": 1},
    "vcs": {"food_bank": 3, "debt_advice": 2, "lunch_club": 2, "befriending": 3, "youth_club": 1.5, "carers": 1,
            "domestic_abuse": 1.5, "esol": 1, "digital_skills": 1},
    "regional": {},
}
DEFAULT_AFFINITY = {"council": 0.4, "nhs": 0.3, "vcs": 0.5, "regional": 1.0}

#: Synonym pools: each directory picks one label per category for its own vocabulary.
TERMS: dict[str, tuple[str, ...]] = {
    "debt_advice": ("Debt advice", "Money & debt", "Financial help", "Debt and money advice", "Money advice"),
    "food_bank": ("Food banks", "Food support", "Emergency food", "Food & essentials"),
    "mental_health": ("Mental health support", "Mental wellbeing", "Emotional wellbeing",
                      "Mental health & wellbeing"),
    "carers": ("Carers support", "Support for carers", "Unpaid carers", "Carers"),
    "youth_club": ("Youth clubs", "Young people's activities", "Youth services", "Activities for young people"),
    "lunch_club": ("Lunch clubs", "Older people's lunch clubs", "Social eating (older people)", "Luncheon clubs"),
    "employment": ("Employment support", "Jobs & training", "Back to work", "Employment & skills"),
    "housing_advice": ("Housing advice", "Housing & homelessness", "Housing support", "Homelessness prevention"),
    "domestic_abuse": ("Domestic abuse support", "Domestic violence", "Domestic abuse", "Abuse & violence support"),
    "drug_alcohol": ("Drug & alcohol services", "Substance misuse", "Alcohol and drugs", "Addiction support"),
    "parenting": ("Parenting support", "Family support", "Parenting courses", "Help for parents"),
    "disability": ("Disability support", "Support for disabled people", "Disability services", "Disabilities"),
    "digital_skills": ("Digital skills", "Getting online", "Digital inclusion", "Computer & internet help"),
    "esol": ("English language (ESOL)", "ESOL classes", "English for speakers of other languages",
             "Learning English"),
    "physical_activity": ("Physical activity", "Sport & exercise", "Keeping active", "Health walks & exercise"),
    "welfare_benefits": ("Welfare benefits advice", "Benefits & welfare rights"),
    "social_prescribing": ("Social prescribing", "Community link workers"),
    "befriending": ("Befriending", "Friendship & befriending"),
}

ORG_TEMPLATES: dict[str, tuple[str, ...]] = {
    "debt_advice": ("Citizens Advice {D}", "{T} Money Advice Centre", "{D} Debt Advice Trust"),
    "food_bank": ("{T} Food Bank", "{T} Community Pantry", "St {S}'s Church, {T}"),
    "mental_health": ("Mind in {D}", "{D} Talking Therapies", "{T} Wellbeing Collective"),
    "carers": ("{D} Carers Hub", "Carers Support {D}"),
    "youth_club": ("{T} Youth Project", "{T} Youth Trust", "{T} Scout Group"),
    "lunch_club": ("Age UK {D}", "{T} Lunch Club Committee", "St {S}'s Church, {T}"),
    "employment": ("{D} Works", "{D} Employment & Skills Hub", "{D} College"),
    "housing_advice": ("{D} Council Housing Options", "{D} Housing Aid", "{T} Tenancy Trust"),
    "domestic_abuse": ("{D} Women's Aid", "{D} Domestic Abuse Service"),
    "drug_alcohol": ("{D} Recovery Partnership", "{D} Drug & Alcohol Service"),
    "parenting": ("{T} Family Hub", "Home-Start {D}", "{T} Children's Centre"),
    "disability": ("{D} Disability Forum", "{D} Centre for Independent Living", "{T} Access Group"),
    "digital_skills": ("{D} Libraries", "Age UK {D}", "{T} Community Learning"),
    "esol": ("{D} Adult Community Learning", "{T} Refugee Welcome", "{D} College"),
    "physical_activity": ("{T} Leisure Trust", "Active {D}", "{T} Walking Group"),
    "welfare_benefits": ("{D} Welfare Rights Unit", "Citizens Advice {D}"),
    "social_prescribing": ("{D} Primary Care Network", "{T} Social Prescribing Team"),
    "befriending": ("Age UK {D}", "{T} Good Neighbours Scheme", "{D} Befriending Network"),
}

SERVICE_STEMS: dict[str, tuple[str, ...]] = {
    "debt_advice": ("Debt Drop-in", "Money Advice Service", "Debt & Budgeting Support"),
    "food_bank": ("Food Bank", "Emergency Food Parcels", "Community Pantry"),
    "mental_health": ("Wellbeing Café", "Talking Therapies", "Mental Health Peer Support Group"),
    "carers": ("Carers Support Group", "Young Carers Service", "Carers Advice Line"),
    "youth_club": ("Youth Club", "Junior Youth Club", "Youth Drop-in"),
    "lunch_club": ("Lunch Club", "Friendship Lunch", "Tuesday Lunch Club"),
    "employment": ("Job Club", "Employment Support", "Work & Skills Advice"),
    "housing_advice": ("Housing Advice", "Homelessness Prevention", "Tenancy Support"),
    "domestic_abuse": ("Domestic Abuse Outreach", "Freedom Programme", "IDVA Service"),
    "drug_alcohol": ("Drug & Alcohol Service", "Recovery Café", "Alcohol Support Group"),
    "parenting": ("Parenting Course", "Stay & Play", "Family Support Service"),
    "disability": ("Disability Advice", "Learning Disability Social Club", "Independent Living Support"),
    "digital_skills": ("Digital Drop-in", "Get Online Sessions", "Computer Help Club"),
    "esol": ("ESOL Classes", "English Conversation Club", "ESOL Entry Level Course"),
    "physical_activity": ("Health Walks", "Chair-Based Exercise", "Community Fitness Sessions"),
    "welfare_benefits": ("Benefits Advice", "Welfare Rights Advice", "Benefits Check"),
    "social_prescribing": ("Social Prescribing", "Link Worker Service", "Community Connectors"),
    "befriending": ("Befriending Service", "Telephone Befriending", "Good Neighbours Visiting"),
}

DESCRIPTIONS: dict[str, str] = {
    "debt_advice": "Free, confidential help with debts, budgeting and dealing with creditors.",
    "food_bank": "Emergency food parcels for people in crisis; referral voucher usually needed.",
    "mental_health": "Support for adults experiencing anxiety, low mood or other mental health difficulties.",
    "carers": "Information, breaks and peer support for unpaid carers of all ages.",
    "youth_club": "Games, sport, trips and a safe space for young people.",
    "lunch_club": "A hot two-course lunch and good company for older residents.",
    "employment": "CV help, job search and interview practice for people looking for work.",
    "housing_advice": "Advice for anyone homeless or at risk of losing their home.",
    "domestic_abuse": "Confidential support, safety planning and advocacy for survivors of domestic abuse.",
    "drug_alcohol": "Assessment, treatment and recovery support for drug and alcohol use.",
    "parenting": "Groups and one-to-one support for parents and carers of young children.",
    "disability": "Advice, activities and advocacy for disabled people and their families.",
    "digital_skills": "Friendly help to get online, use a smartphone or apply for things online.",
    "esol": "English classes for adults whose first language is not English.",
    "physical_activity": "Gentle, sociable exercise for all abilities.",
    "welfare_benefits": "Benefit checks and help with claims, reviews and appeals.",
    "social_prescribing": "Link workers connecting people to local groups and support.",
    "befriending": "Regular visits or calls from a friendly volunteer for people who feel isolated.",
}
