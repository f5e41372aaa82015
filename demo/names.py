"""Word lists for invented English places, people, streets and venues."""

from __future__ import annotations

import numpy as np


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.replace("_", " ") for w in text.split())


PLACE_STEMS = _words(
    "Ash Alder Amble Ark Ashby Bar Barn Bed Beck Birch Black Bland Bram Brad Brent Brid Brom Broad Brook "
    "Burn Cal Camber Carl Chad Chal Chel Cherry Chip Clay Cliff Cold Corn Cot Cran Crom Dal Dart Deer Den "
    "Dun Eas Eden Elm Elder Ever Fal Farn Fen Fern Frome Gar Glen Gold Grant Green Ham Hal Hart Hazel Heath "
    "Hen Holm Hol Horn Hurst Ick Ilk Kel Ken Kings Kirk Lang Lark Lea Leck Lin Long Lox Lud Lyn Mal Mar Mead "
    "Mel Mere Mick Mill Moor Nether New North Oak Oke Ot Pad Pen Pit Pol Pres Quar Rad Raven Red Rish Rock "
    "Ros Rother Rye Sal Sand Sax Sel Shep Shir Ship Stan Staple Stock Stone Stow Sud Sut Swan Tad Tal Ten "
    "Thorn Tid Tor Tun Ux Wal Wan Wel West Whit Wick Wil Win Wit Wold Wood Wren Yar Yeo"
)
PLACE_SUFFIXES = _words(
    "bury borough by caster cester combe cote dale den don field ford gate ham hampton hill holme hurst "
    "ington ley ling mere minster mouth ness port sey stead stoke stone stow thorpe ton wald well wich wick "
    "worth wood"
)
WARD_QUALIFIERS = _words("North South East West Central Upper Lower Old New Great Little Park Vale Green")

FIRST_NAMES_FEMALE = _words(
    "Olivia Amelia Isla Ava Emily Sophie Grace Mia Poppy Ella Lily Evie Jessica Chloe Sophia Ruby Lucy "
    "Ellie Freya Daisy Hannah Charlotte Zoë Chloë Renée Siân Niamh Margaret Susan Patricia Linda Barbara "
    "Elizabeth Jennifer Maria Sarah Karen Nancy Helen Sandra Janet Carol Ann Joan Jean Pauline Christine "
    "Julie Tracey Dawn Michelle Kelly Emma Laura Rebecca Rachel Gemma Kirsty Amy Leanne Stacey Natalie "
    "Aisha Fatima Priya Anjali Zara Amira Nadia Yasmin Chiamaka Abena Ngozi Precious Marta Agnieszka Ewa "
    "Mei Sinéad Bethan Ffion Eilidh Maeve Aoife Lorraine Shirley Brenda Dorothy Irene Sheila Valerie"
)
FIRST_NAMES_MALE = _words(
    "Oliver George Harry Noah Jack Leo Arthur Muhammad Oscar Charlie Jacob Thomas Henry William Freddie "
    "Alfie Theo Archie Joshua James John David Michael Robert Peter Paul Andrew Mark Richard Stephen Ian "
    "Gary Kevin Simon Neil Darren Lee Craig Wayne Dean Jason Daniel Matthew Christopher Luke Ryan Adam "
    "Liam Connor Kieran Jamie Aaron Ben Sam Tom Joe Dan Nathan Callum Ahmed Ali Hassan Imran Mohammed "
    "Raj Sanjay Arjun Vikram Kwame Chidi Tunde Emeka Kofi Piotr Tomasz Krzysztof Andrzej José Noël Seán "
    "Rhys Gareth Dylan Owen Ewan Angus Brian Colin Keith Derek Trevor Roy Terry Barry Malcolm Graham"
)
SURNAMES_GENERAL = _words(
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker White "
    "Roberts Green Hall Wood Jackson Clarke Harris Lewis Martin Cooper Hill Ward Morris Moore Clark Lee "
    "King Baker Harrison Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths "
    "Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan Marshall "
    "Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb Rogers Gray Mason Ali "
    "Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker "
    "Fisher Stevens Jenkins Murray Dixon Harvey Graham Pearson Ahmed Fletcher Walsh Kaur Gibson Howard "
    "Andrews Stewart Elliott Reynolds Saunders Payne Fox Ford Pearce Day Brooks West Lawrence Cole Atkinson "
    "Bradley Spencer Gill Dawson Ball Burton O’Brien O'Neill O’Connor McDonald MacLeod Hughes-Davies "
    "Smith-Jones Fairbairn-Smythe Lloyd-Williams Ashworth Whitfield Thornton Pickering Ainsworth Crossley "
    "Wiśniewski Nowak Kowalski Brontë Cortés Müller"
)
SURNAMES_ASIAN = _words(
    "Patel Khan Ahmed Ali Hussain Begum Singh Kaur Shah Sharma Mahmood Iqbal Akhtar Rahman Chowdhury Islam "
    "Miah Uddin Gupta Kumar Choudhury Chen Wang Li Zhang Liu Nguyen Tran Anwar Aziz Bibi Malik Mistry Desai"
)
SURNAMES_BLACK = _words(
    "Okafor Mensah Adeyemi Campbell Okoro Boateng Osei Asante Adebayo Okonkwo Johnson Williams Francis "
    "Thomas Grant Clarke Daley Bailey Ogunleye Nwosu Mohamed Abdi Hassan Yusuf Ibrahim Owusu Appiah"
)

STREET_STEMS = _words(
    "High Church Station Mill Park Victoria Albert Queens Kings Green Manor School Chapel London Bridge "
    "Castle Market New Grange Orchard Meadow Windsor Springfield Westfield Highfield Cedar Beech Oak Elm "
    "Willow Hawthorn Primrose Kingsway Broadway Clarence Cromwell Nelson Stanley York Lancaster Princess "
    "Brunswick Hillside Riverside Sandy Stone Marsh Priory Abbey Cemetery Vicarage Rectory Farm Forge Well"
)
STREET_TYPES = _words("Street Road Lane Avenue Close Way Drive Crescent Gardens Place Walk Terrace Row Hill")
SAINTS = _words("Mary Michael Peter Paul John Andrew George James Luke Mark Margaret Anne Stephen Thomas Chad")
VENUE_TEMPLATES = (
    "{place} Library", "{place} Community Centre", "St {saint}'s Church Hall", "{place} Children's Centre",
    "{place} Village Hall", "{place} Leisure Centre", "{place} Health Centre", "The {place} Hub",
    "{place} Methodist Church", "{place} Youth Centre", "{place} Baptist Church Hall", "{place} Civic Centre",
    "{place} Family Hub", "{place} Scout Hut", "{place} Football Club", "{place} Mosque Community Room",
)
EMAIL_DOMAINS = _words(
    "gmail.com outlook.com hotmail.co.uk btinternet.com yahoo.co.uk icloud.com live.co.uk sky.com "
    "talktalk.net aol.com"
)


def place_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct invented English-sounding place names."""
    combos = [s + x for s in PLACE_STEMS for x in PLACE_SUFFIXES
              if not (s[-1] == x[0] or (s[-1] in "aeiou" and x[0] in "aeiou"))]
    pool = rng.permutation(np.array(combos, dtype=object)).tolist()
    if n <= len(pool):
        return pool[:n]
    extra = [f"{q} {p}" for q in WARD_QUALIFIERS for p in pool]
    extra = rng.permutation(np.array(extra, dtype=object)).tolist()
    return (pool + extra)[:n]


def ascii_fold(text: str) -> str:
    """Lowercase ASCII letters only, for building emails and web addresses."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum()).lower()


def slug(text: str) -> str:
    """A web-address slug: ``St Mary's Hall`` → ``st-marys-hall``."""
    import re
    import unicodedata

    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    folded = folded.replace("'", "").replace("&", "and")
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
