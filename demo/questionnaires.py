"""The four agency questionnaires: each agency words and codes the shared concepts its own way.

``concept`` names the canonical question a column measures (written to ground truth, never served).
Option lists for latent-driven questions are in display order with target shares ``dist``;
``positive_first`` says whether the first option is the most favourable answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Opt = tuple[str, str]  # (code, label)
Special = tuple[str, str, float]  # (code, label, base probability)

DK = "Don't know"
DK_CURLY = "Don’t know"


@dataclass(frozen=True)
class Question:
    """One question column."""

    id: str
    text: str
    concept: str
    type: str = "single"  # single | scale | text
    options: tuple[Opt, ...] = ()
    dist: tuple[float, ...] = ()
    positive_first: bool = True
    specials: tuple[Special, ...] = ()
    scale: tuple[int, int, float, float] | None = None  # min, max, mean, sd
    source: str = "latent"  # latent | sex | ethnicity | age_group | text
    mapping: tuple[int, ...] = ()  # sex: option per sex; ethnicity: per detail group; age_group: lower ages
    blank: float = 0.015


@dataclass(frozen=True)
class Survey:
    """One agency survey and how its tool exports it."""

    survey_id: str
    agency: str
    agency_name: str
    title: str
    fieldwork: tuple[str, str]
    header_style: str
    value_style: str
    encoding: str
    line_terminator: str
    id_columns: tuple[tuple[str, str, str], ...]  # (id, text, role or identifier kind) in order
    questions: tuple[Question, ...]
    submitted_format: str  # "uk" (DD/MM/YYYY HH:MM), "iso" or "surveymonkey" (MM/DD/YYYY hh:mm:ss AM)
    dob_formats: tuple[tuple[str, float], ...]
    response_id_style: str
    email_share: float
    upper_surname: float
    weight: float
    deprivation_tilt: float = 0.0  # >0: more respondents from deprived areas (social housing tenants)
    extra: dict[str, Any] = field(default_factory=dict)
    export: dict[str, Any] | None = None  # the tool's export layout (docs/feeds.md §2), e.g. SurveyMonkey

    def questionnaire(self) -> dict[str, Any]:
        """The questionnaire JSON document (docs/feeds.md §2)."""
        cols: list[dict[str, Any]] = []
        for cid, text, kind in self.id_columns:
            col: dict[str, Any] = {"id": cid, "text": text}
            if kind in ("response_id", "submitted_at"):
                col["role"] = kind
            else:
                col.update(role="identifier", identifier=kind)
            cols.append(col)
        for q in self.questions:
            col = {"id": q.id, "text": q.text, "role": "question", "type": q.type}
            if q.type == "scale" and q.scale:
                col.update(min=q.scale[0], max=q.scale[1])
            opts = [*q.options, *((c, lab) for c, lab, _ in q.specials)]
            if opts:
                col["options"] = [{"code": c, "label": lab} for c, lab in opts]
            cols.append(col)
        return {"survey_id": self.survey_id, "agency": self.agency, "agency_name": self.agency_name,
                "title": self.title, "period": "2026", "fieldwork_start": self.fieldwork[0],
                "fieldwork_end": self.fieldwork[1], "header_style": self.header_style,
                "value_style": self.value_style, **({"export": self.export} if self.export else {}), "columns": cols}


FIVE_SAT = (("1", "Very satisfied"), ("2", "Fairly satisfied"), ("3", "Neither satisfied nor dissatisfied"),
            ("4", "Fairly dissatisfied"), ("5", "Very dissatisfied"))
AGREE4 = (("1", "Definitely agree"), ("2", "Tend to agree"), ("3", "Tend to disagree"),
          ("4", "Definitely disagree"))
BELONG = (("1", "Very strongly"), ("2", "Fairly strongly"), ("3", "Not very strongly"), ("4", "Not at all strongly"))
SAFE = (("1", "Very safe"), ("2", "Fairly safe"), ("3", "A bit unsafe"), ("4", "Very unsafe"))
ASB = (("1", "Very big problem"), ("2", "Fairly big problem"), ("3", "Not a very big problem"),
       ("4", "Not a problem at all"))
COHESION_SPECIALS = (("5", "Too few people in local area", 0.012), ("6", "All same background", 0.02),
                     ("9", DK, 0.05))
COHESION_DIST = (0.30, 0.50, 0.13, 0.07)
WB_SPECIALS = (("98", DK, 0.006), ("99", "Prefer not to say", 0.01))
# Detailed ethnic group order (see demo.people.ETHNIC_DETAIL):
# indian pakistani bangladeshi chinese other_asian african caribbean other_black wbc wba wasian other_mixed
# white_british irish gypsy roma other_white arab any_other

COUNCIL = Survey(
    survey_id="council_residents_2026", agency="council", agency_name="Shire County Council",
    title="Residents' Survey 2026", fieldwork=("2026-04-01", "2026-06-30"), header_style="text",
    value_style="label", encoding="utf-8", line_terminator="\n",
    id_columns=(("RespondentID", "Respondent ID", "response_id"), ("EndDate", "End Date", "submitted_at"),
                ("Email", "Email address", "email"), ("Surname", "Surname", "surname"),
                ("DOB", "Date of birth", "dob"), ("Postcode", "Postcode", "postcode")),
    questions=(
        Question("Q1", "Overall, how satisfied or dissatisfied are you with your local area as a place to live?",
                 "satisfaction_local_area", options=FIVE_SAT, dist=(0.30, 0.45, 0.10, 0.10, 0.05),
                 specials=(("9", DK, 0.01),)),
        Question("Q2", "Overall, how satisfied or dissatisfied are you with the way Shire County Council "
                 "runs things?", "satisfaction_council", options=FIVE_SAT, dist=(0.12, 0.40, 0.20, 0.17, 0.11),
                 specials=(("9", DK, 0.04),)),
        Question("Q3", "To what extent do you agree or disagree that your local area is a place where people "
                 "from different backgrounds get on well together?", "cohesion_get_on_well", options=AGREE4,
                 dist=COHESION_DIST, specials=COHESION_SPECIALS),
        Question("Q4", "How strongly do you feel you belong to your immediate neighbourhood?",
                 "belonging_neighbourhood", options=BELONG, dist=(0.25, 0.42, 0.23, 0.10),
                 specials=(("9", DK, 0.015),)),
        Question("Q5", "Do you agree or disagree that you can influence decisions affecting your local area?",
                 "influence_decisions", options=AGREE4, dist=(0.05, 0.22, 0.38, 0.35), specials=(("9", DK, 0.06),)),
        Question("Q6", "In the last 12 months, how often have you given unpaid help to any groups, clubs or "
                 "organisations?", "formal_volunteering",
                 options=(("1", "At least once a week"), ("2", "At least once a month"), ("3", "Less often"),
                          ("4", "Not in the last 12 months")), dist=(0.10, 0.07, 0.10, 0.73),
                 specials=(("9", DK, 0.01),)),
        Question("Q7", "How safe or unsafe do you feel when outside in your local area after dark?",
                 "safe_after_dark", options=SAFE, dist=(0.25, 0.45, 0.20, 0.10), specials=(("9", DK, 0.01),)),
        Question("Q8", "How much do you agree or disagree that the police and other local public services are "
                 "successfully dealing with anti-social behaviour and crime that matter in your area?",
                 "agencies_deal_with_asb",
                 options=(("1", "Strongly agree"), ("2", "Tend to agree"), ("3", "Neither agree nor disagree"),
                          ("4", "Tend to disagree"), ("5", "Strongly disagree")),
                 dist=(0.06, 0.32, 0.30, 0.20, 0.12), specials=(("9", DK, 0.05),)),
        Question("Q9", "Overall, how satisfied are you with your life nowadays? (0 = not at all satisfied, "
                 "10 = completely satisfied)", "wellbeing_life_satisfaction", type="scale",
                 scale=(0, 10, 7.3, 2.0), specials=(("99", "Prefer not to say", 0.012),), blank=0.02),
        Question("Q10", "Are you…", "sex", source="sex",
                 options=(("1", "Female"), ("2", "Male")), mapping=(0, 1),
                 specials=(("3", "Prefer to self-describe", 0.004), ("9", "Prefer not to say", 0.015))),
        Question("Q11", "What is your ethnic group?", "ethnic_group", source="ethnicity",
                 options=(("1", "Asian or Asian British"), ("2", "Black or Black British"),
                          ("3", "Mixed or multiple ethnic groups"), ("4", "White"), ("5", "Other ethnic group")),
                 mapping=(0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4),
                 specials=(("9", "Prefer not to say", 0.025),)),
        Question("Q12", "Is there anything else you would like to tell us about your local area?",
                 "free_text_comments", type="text", source="text", blank=0.0),
    ),
    submitted_format="uk", dob_formats=(("%d/%m/%Y", 1.0),), response_id_style="surveymonkey",
    email_share=0.85, upper_surname=0.02, weight=0.36,
)

POLICE = Survey(
    survey_id="police_confidence_2026", agency="police", agency_name="Shire Constabulary",
    title="Public Confidence Survey 2026", fieldwork=("2026-01-05", "2026-09-20"), header_style="code",
    value_style="code", encoding="cp1252", line_terminator="\r\n",
    id_columns=(("URN", "Unique reference number", "response_id"),
                ("INT_DATE", "Interview date/time", "submitted_at"), ("EMAIL", "Email", "email"),
                ("SNAME", "Surname", "surname"), ("DOB", "Date of birth", "dob"),
                ("PCODE", "Home postcode", "postcode")),
    questions=(
        Question("SAFE_DARK", "How safe do you feel walking alone in this area after dark?", "safe_after_dark",
                 options=SAFE, dist=(0.22, 0.46, 0.21, 0.11),
                 specials=(("5", "Never walk alone after dark", 0.03), ("9", DK, 0.01))),
        Question("ASB_PROB", "How much of a problem is anti-social behaviour in your local area?",
                 "asb_problem", options=ASB, dist=(0.06, 0.16, 0.45, 0.33), positive_first=False,
                 specials=(("9", DK, 0.03),)),
        Question("DEAL_ASB", "It is the responsibility of the police and local council working in partnership "
                 "to deal with anti-social behaviour and crime in your area. How much would you agree that they "
                 "are dealing with the anti-social behaviour and crime issues that matter in this area?",
                 "agencies_deal_with_asb",
                 options=(("1", "Strongly agree"), ("2", "Tend to agree"), ("3", "Tend to disagree"),
                          ("4", "Strongly disagree")), dist=(0.10, 0.48, 0.27, 0.15), specials=(("9", DK, 0.06),)),
        Question("COHESION", "To what extent do you agree that this local area is a place where people from "
                 "different backgrounds get on well together?", "cohesion_get_on_well", options=AGREE4,
                 dist=COHESION_DIST, specials=COHESION_SPECIALS),
        Question("CONF_POL", "Taking everything into account, how good a job do you think the police in this "
                 "area are doing?", "police_confidence",
                 options=(("1", "Excellent"), ("2", "Good"), ("3", "Fair"), ("4", "Poor"), ("5", "Very poor")),
                 dist=(0.08, 0.38, 0.35, 0.12, 0.07), specials=(("9", DK, 0.04),)),
        Question("VICTIM", "Have you been a victim of any crime in this area in the last 12 months?",
                 "crime_victim", options=(("1", "Yes"), ("2", "No")), dist=(0.14, 0.86), positive_first=False,
                 specials=(("8", "Prefer not to say", 0.02),)),
        Question("SEX", "Sex", "sex", source="sex", options=(("1", "Male"), ("2", "Female")), mapping=(1, 0),
                 specials=(("3", "Other", 0.004), ("9", "Prefer not to say", 0.02))),
        Question("AGEGRP", "Age group", "age_group", source="age_group",
                 options=(("1", "16-24"), ("2", "25-34"), ("3", "35-49"), ("4", "50-64"), ("5", "65-74"),
                          ("6", "75+")), mapping=(16, 25, 35, 50, 65, 75),
                 specials=(("9", "Prefer not to say", 0.02),)),
        Question("ETHNIC", "Ethnicity (self-defined, 18+1)", "ethnic_group", source="ethnicity",
                 options=(("A1", "Asian - Indian"), ("A2", "Asian - Pakistani"), ("A3", "Asian - Bangladeshi"),
                          ("A4", "Asian - Chinese"), ("A9", "Asian - Any other Asian background"),
                          ("B1", "Black - African"), ("B2", "Black - Caribbean"),
                          ("B9", "Black - Any other Black background"), ("M1", "Mixed - White and Black Caribbean"),
                          ("M2", "Mixed - White and Black African"), ("M3", "Mixed - White and Asian"),
                          ("M9", "Mixed - Any other Mixed background"), ("W1", "White - British"),
                          ("W2", "White - Irish"), ("W3", "White - Gypsy or Irish Traveller"), ("W4", "White - Roma"),
                          ("W9", "White - Any other White background"), ("O1", "Other - Arab"),
                          ("O9", "Other - Any other ethnic group")),
                 mapping=tuple(range(19)), specials=(("NS", "Not stated", 0.04),)),
    ),
    submitted_format="iso", dob_formats=(("%d-%b-%Y", 1.0),), response_id_style="prefixed",
    email_share=0.6, upper_surname=0.55, weight=0.27,
)

HOUSING = Survey(
    survey_id="housing_tenants_2026", agency="housing", agency_name="Shire Homes",
    title="Tenant Satisfaction Survey 2026", fieldwork=("2026-03-01", "2026-05-31"), header_style="text",
    value_style="label", encoding="utf-8-sig", line_terminator="\n",
    # a SurveyMonkey export (demo/surveys.py SURVEYMONKEY_TOOL_COLUMNS): its own column names for the id,
    # the completion time, the invitee's e-mail and last name
    id_columns=(("response_id", "Respondent ID", "response_id"), ("completed", "End Date", "submitted_at"),
                ("email", "Email Address", "email"), ("last_name", "Last Name", "surname"),
                ("dob", "Date of birth", "dob"), ("postcode", "Postcode", "postcode")),
    questions=(
        Question("sat_area", "How satisfied or dissatisfied are you with your neighbourhood as a place to live?",
                 "satisfaction_local_area",
                 options=(("1", "Very satisfied"), ("2", "Satisfied"), ("3", "Dissatisfied"),
                          ("4", "Very dissatisfied")), dist=(0.24, 0.50, 0.17, 0.09),
                 specials=(("9", DK_CURLY, 0.02),)),
        Question("influence", "Do you feel you can influence decisions affecting your neighbourhood?",
                 "influence_decisions", options=(("1", "Yes"), ("2", "No")), dist=(0.27, 0.73),
                 specials=(("9", DK_CURLY, 0.08),)),
        Question("asb", "How much of a problem, if at all, is anti-social behaviour in your neighbourhood?",
                 "asb_problem", options=(("1", "A very big problem"), ("2", "A fairly big problem"),
                                         ("3", "Not a very big problem"), ("4", "Not a problem at all")),
                 dist=(0.08, 0.18, 0.44, 0.30), positive_first=False, specials=(("9", DK_CURLY, 0.03),)),
        Question("repairs", "How satisfied or dissatisfied are you with the repairs service from Shire Homes "
                 "over the last 12 months?", "satisfaction_repairs",
                 options=(("1", "Very satisfied"), ("2", "Fairly satisfied"), ("3", "Neither"),
                          ("4", "Fairly dissatisfied"), ("5", "Very dissatisfied")),
                 dist=(0.25, 0.35, 0.12, 0.15, 0.13), specials=(("8", "Not applicable – no repairs", 0.15),)),
        Question("gender", "Gender", "sex", source="sex", options=(("1", "Woman"), ("2", "Man")), mapping=(0, 1),
                 specials=(("3", "Non-binary", 0.005), ("9", "Prefer not to say", 0.02))),
        Question("age", "Age", "age_group", source="age_group",
                 options=(("1", "Under 25"), ("2", "25–44"), ("3", "45–64"), ("4", "65 or over")),
                 mapping=(16, 25, 45, 65), specials=(("9", "Prefer not to say", 0.015),)),
        Question("ethnicity", "Ethnic origin", "ethnic_group", source="ethnicity",
                 options=(("1", "White British"), ("2", "White other"), ("3", "Black / Black British"),
                          ("4", "Asian / Asian British"), ("5", "Mixed heritage"), ("6", "Other")),
                 mapping=(3, 3, 3, 3, 3, 2, 2, 2, 4, 4, 4, 4, 0, 1, 1, 1, 1, 5, 5),
                 specials=(("9", "Prefer not to say", 0.03),)),
    ),
    submitted_format="surveymonkey", dob_formats=(("%Y-%m-%d", 1.0),), response_id_style="hex",
    email_share=0.7, upper_surname=0.03, weight=0.16, deprivation_tilt=0.35,
    export={"tool": "surveymonkey", "ignore_columns": ["Collector ID", "Start Date", "IP Address", "First Name",
                                                       "Custom Data 1"],
            "dates": {"End Date": "%m/%d/%Y %I:%M:%S %p"}},
)

HEALTH = Survey(
    survey_id="health_wellbeing_2026", agency="health", agency_name="Shire Health and Care Partnership",
    title="Health and Wellbeing Survey 2026", fieldwork=("2026-05-01", "2026-07-31"), header_style="code",
    value_style="code", encoding="utf-8", line_terminator="\n",
    id_columns=(("ResponseId", "Response ID", "response_id"), ("SubmitDate", "Submitted", "submitted_at"),
                ("pt_email", "Email", "email"), ("pt_surname", "Surname", "surname"),
                ("pt_dob", "Date of birth", "dob"), ("pt_postcode", "Postcode", "postcode")),
    questions=(
        Question("WB_LIFESAT", "Overall, how satisfied are you with your life nowadays?",
                 "wellbeing_life_satisfaction", type="scale", scale=(0, 10, 7.4, 1.9), specials=WB_SPECIALS),
        Question("WB_WORTH", "Overall, to what extent do you feel that the things you do in your life are "
                 "worthwhile?", "wellbeing_worthwhile", type="scale", scale=(0, 10, 7.7, 1.8), specials=WB_SPECIALS),
        Question("WB_HAPPY", "Overall, how happy did you feel yesterday?", "wellbeing_happy_yesterday",
                 type="scale", scale=(0, 10, 7.4, 2.2), specials=WB_SPECIALS),
        Question("WB_ANX", "On a scale where 0 is not at all anxious and 10 is completely anxious, overall, how "
                 "anxious did you feel yesterday?", "wellbeing_anxious_yesterday", type="scale",
                 scale=(0, 10, 3.2, 2.9), positive_first=False, specials=WB_SPECIALS),
        Question("BELONG", "How strongly do you feel you belong to your local neighbourhood?",
                 "belonging_neighbourhood", options=BELONG, dist=(0.24, 0.43, 0.23, 0.10),
                 specials=(("8", DK, 0.02),)),
        Question("VOL_MONTH", "In the last 12 months, have you done any unpaid voluntary work for a group, club "
                 "or organisation at least once a month?", "formal_volunteering",
                 options=(("1", "Yes"), ("2", "No")), dist=(0.17, 0.83)),
        Question("GENHEALTH", "How is your health in general?", "general_health",
                 options=(("1", "Very good"), ("2", "Good"), ("3", "Fair"), ("4", "Bad"), ("5", "Very bad")),
                 dist=(0.35, 0.37, 0.18, 0.07, 0.03)),
        Question("LONELY", "How often do you feel lonely?", "loneliness",
                 options=(("1", "Often/always"), ("2", "Some of the time"), ("3", "Occasionally"),
                          ("4", "Hardly ever"), ("5", "Never")), dist=(0.07, 0.18, 0.20, 0.30, 0.25),
                 positive_first=False, specials=(("9", "Prefer not to say", 0.01),)),
        Question("SEX", "Sex", "sex", source="sex", options=(("F", "Female"), ("M", "Male")), mapping=(0, 1),
                 specials=(("O", "Other", 0.004), ("N", "Not stated", 0.015))),
        Question("ETH", "Ethnic group", "ethnic_group", source="ethnicity",
                 options=(("1", "White"), ("2", "Mixed"), ("3", "Asian"), ("4", "Black"), ("5", "Other")),
                 mapping=(2, 2, 2, 2, 2, 3, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 0, 4, 4),
                 specials=(("9", "Not stated", 0.03),)),
    ),
    submitted_format="iso", dob_formats=(("%Y-%m-%d", 0.85), ("%d/%m/%Y", 0.15)), response_id_style="sequential",
    email_share=0.8, upper_surname=0.01, weight=0.21,
)

SURVEYS: tuple[Survey, ...] = (COUNCIL, POLICE, HOUSING, HEALTH)
