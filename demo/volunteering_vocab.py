"""Free-text vocabularies of volunteering: skills, causes, interests and role types."""

from __future__ import annotations

#: canonical skill → the ways people and bureaus write it (first = the canonical wording)
SKILLS: dict[str, tuple[str, ...]] = {
    "driving": ("driving", "Full UK driving licence", "Driver", "Clean driving licence", "Own car and licence"),
    "it": ("IT support", "computer skills", "IT skills", "Tech savvy", "Computers"),
    "cooking": ("cooking", "Food hygiene certificate", "Catering", "Cook"),
    "gardening": ("gardening", "Horticulture", "Gardener", "Green fingers"),
    "admin": ("admin", "Administration", "Office skills", "Data entry"),
    "listening": ("listening", "Good listener", "Active listening", "Empathy"),
    "teaching": ("teaching", "Tutoring", "Teacher", "Training others"),
    "first_aid": ("first aid", "First Aid certificate", "First-aider"),
    "languages": ("languages", "Community languages", "Bilingual", "Interpreting"),
    "finance": ("bookkeeping", "Finance", "Accounting", "Treasurer experience"),
    "diy": ("DIY", "Handyperson", "Practical skills", "Maintenance"),
    "customer_service": ("customer service", "Retail experience", "Shop work", "Till experience"),
    "social_media": ("social media", "Marketing", "Comms", "Facebook/Instagram"),
    "events": ("events", "Event planning", "Fundraising events", "Organising"),
    "mentoring": ("mentoring", "Mentor", "Coaching", "Youth mentoring"),
    "sport": ("sports coaching", "Coach", "Sport leader", "Walk leading"),
    "animal_care": ("animal care", "Experience with dogs", "Pet care"),
}

#: canonical cause → (north bureau label, south bureau slug)
CAUSES: dict[str, tuple[str, str]] = {
    "older_people": ("Older people", "older-people"), "health": ("Health & social care", "health-and-care"),
    "poverty": ("Poverty relief", "poverty-and-hardship"), "community": ("Community", "community-development"),
    "children_young_people": ("Children & young people", "children-and-young-people"),
    "mental_health": ("Mental health", "mental-health"), "environment": ("Environment", "environment-and-conservation"),
    "refugees": ("Refugees & asylum seekers", "refugees"), "arts": ("Arts & culture", "arts-and-culture"),
    "animals": ("Animals", "animal-welfare"), "sport": ("Sport", "sport-and-recreation"),
    "disability": ("Disability", "disability"),
}

INTERESTS = ("gardening", "reading", "walking", "music", "local history", "cooking", "football", "crafts",
             "working with children", "the environment", "animals", "photography", "meeting new people",
             "helping older people", "art", "cycling", "theatre", "knitting", "computers", "wildlife")

#: role → (title variants, skills, causes, (min, max) hours per week, availability profile, organisation templates)
ROLE_TYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[int, int], str,
                            tuple[str, ...]]] = {
    "driver": (("Volunteer Driver", "Community Transport Driver", "Driver – Hospital Appointments"),
               ("driving",), ("older_people", "health"), (2, 6), "weekday",
               ("{D} Community Transport", "Age UK {D}")),
    "befriender": (("Befriender", "Telephone Befriender", "Befriending Volunteer"), ("listening",),
                   ("older_people", "mental_health"), (1, 3), "any", ("Age UK {D}", "{T} Good Neighbours Scheme")),
    "food_bank": (("Food Bank Warehouse Volunteer", "Food Bank Volunteer", "Warehouse Assistant (Food Bank)"),
                  ("customer_service", "admin"), ("poverty",), (3, 6), "weekday", ("{T} Food Bank",)),
    "shop": (("Charity Shop Assistant", "Retail Volunteer", "Shop Volunteer"), ("customer_service",),
             ("poverty", "health"), (3, 8), "any", ("{D} Hospice", "{D} Animal Rescue")),
    "digital": (("Digital Champion", "IT Buddy", "Tech Help Volunteer"), ("it", "teaching"),
                ("older_people", "community"), (2, 4), "any", ("{D} Libraries", "Age UK {D}")),
    "youth": (("Youth Club Helper", "Youth Work Volunteer", "Sports Session Assistant"), ("mentoring", "sport"),
              ("children_young_people",), (2, 4), "weekday_pm", ("{T} Youth Project", "{T} Scout Group")),
    "trustee": (("Trustee", "Board Member (Trustee)", "Treasurer"), ("finance", "admin"), ("community",),
                (1, 3), "any", ("{T} Community Association", "{D} Carers Hub")),
    "cook": (("Lunch Club Cook", "Kitchen Volunteer", "Community Café Volunteer"), ("cooking",),
             ("older_people", "community"), (3, 6), "weekday", ("{T} Community Café", "Age UK {D}")),
    "gardener": (("Gardening Volunteer", "Green Gym Volunteer", "Allotment Helper"), ("gardening", "diy"),
                 ("environment", "health"), (2, 5), "weekend", ("{D} Wildlife Trust", "{T} In Bloom")),
    "helpline": (("Helpline Volunteer", "Listening Volunteer", "Support Line Volunteer"), ("listening",),
                 ("mental_health",), (3, 4), "any", ("Mind in {D}", "{D} Listening Line")),
    "events": (("Event Marshal", "Fundraising Events Volunteer", "Event Volunteer"), ("events",),
               ("community", "health"), (2, 8), "weekend", ("{D} Hospice", "{T} Carnival Committee")),
    "admin": (("Admin Volunteer", "Office Volunteer", "Reception Volunteer"), ("admin", "it"), ("community",),
              (3, 6), "weekday", ("Citizens Advice {D}", "{D} Carers Hub")),
    "esol": (("ESOL Conversation Partner", "English Conversation Volunteer", "Language Buddy"),
             ("teaching", "languages"), ("refugees",), (1, 3), "any", ("{D} Refugee Welcome",)),
    "walk": (("Walk Leader", "Health Walk Leader", "Walking Group Volunteer"), ("sport", "first_aid"),
             ("health", "older_people"), (1, 3), "any", ("Active {D}", "{T} Walking Group")),
    "debt": (("Debt Advice Volunteer", "Money Mentor", "Benefits Advice Volunteer"), ("finance", "listening"),
             ("poverty",), (4, 8), "weekday", ("Citizens Advice {D}",)),
    "social_media": (("Social Media Volunteer", "Communications Volunteer", "Marketing Volunteer"),
                     ("social_media",), ("community", "arts"), (1, 3), "any", ("{T} Arts Centre", "{D} Hospice")),
    "handyperson": (("Handyperson Volunteer", "DIY Volunteer", "Maintenance Volunteer"), ("diy",),
                    ("older_people", "community"), (2, 5), "weekday", ("Age UK {D}", "{T} Community Association")),
    "animal": (("Animal Care Volunteer", "Dog Walker", "Kennel Assistant"), ("animal_care",), ("animals",),
               (2, 6), "any", ("{D} Animal Rescue",)),
    "disability": (("Support Worker Volunteer", "Club Helper (Disability)", "Activity Buddy"),
                   ("listening", "sport"), ("disability",), (2, 4), "weekend", ("{D} Learning Disability Network",
                                                                                  "{D} Disability Forum")),
}
