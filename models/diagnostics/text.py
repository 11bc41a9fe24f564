"""Normalising customer and bench text before it is vectorised.

Real descriptions are short, misspelt, full of shorthand and often not in English. Normalising
folds what means the same onto one spelling, so the n-gram features the model learns on generated
history also fire on real text: lowercase, accents folded (``Überhitzung`` → ``uberhitzung``),
shorthand expanded (``scrn`` → ``screen``), and a small glossary of common Dutch, German, French,
Italian and Spanish repair words mapped to the English word the shop uses. The glossary is general
repair vocabulary written from domain knowledge, not mined from any evaluation set.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

SHORTHAND = {
    "scrn": "screen",
    "batt": "battery",
    "bat": "battery",
    "b4": "before",
    "bc": "because",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "u": "you",
    "n": "and",
    "rly": "really",
    "mins": "minutes",
    "doesnt": "does not",
    "wont": "will not",
    "cant": "can not",
    "cannot": "can not",
    "dont": "do not",
    "isnt": "is not",
    "didnt": "did not",
    "wasnt": "was not",
    "werent": "were not",
    "arent": "are not",
    "hasnt": "has not",
    "havent": "have not",
    "aint": "is not",
    "kbd": "keyboard",
    "mobo": "motherboard",
    "hdd": "hard drive",
    "ssd": "solid state drive",
    "os": "operating system",
    "pw": "password",
    "pwd": "password",
    "wifi": "wi fi",
    "bt": "bluetooth",
    "cam": "camera",
    "mic": "microphone",
    "usbc": "usb c",
    "lcd": "display",
    "oled": "display",
}

# Foreign repair words → the English word the shop writes. Keys are accent-folded and lowercase.
GLOSSARY = {
    # battery / power / charging
    "akku": "battery", "accu": "battery", "batterij": "battery", "batterie": "battery",
    "batteria": "battery", "bateria": "battery", "laden": "charge", "laadt": "charge",
    "ladt": "charge", "ladet": "charge", "opladen": "charge",
    "charge": "charge", "ricarica": "charge", "carga": "charge", "netzteil": "charger",
    "ladegerat": "charger", "oplader": "charger", "adapter": "charger", "chargeur": "charger",
    "caricatore": "charger", "ladebuchse": "charging port", "buchse": "port",
    "aansluiting": "port", "connecteur": "port", "stroom": "power", "strom": "power",
    "voeding": "power", "alimentation": "power",
    # screen / display / touch
    "scherm": "screen", "beeldscherm": "screen", "bildschirm": "screen", "ecran": "screen",
    "schermo": "screen", "pantalla": "screen", "anzeige": "display", "glas": "glass",
    "gebroken": "broken", "kapot": "broken", "kaputt": "broken", "defekt": "broken",
    "defect": "broken", "casse": "broken", "rotto": "broken", "gebrochen": "broken",
    "gesprungen": "cracked", "gebarsten": "cracked", "barst": "crack", "riss": "crack",
    "beeld": "image", "bild": "image", "schwarz": "black", "zwart": "black",
    "noir": "black",
    # keyboard / trackpad / hinge / case
    "tastatur": "keyboard", "toetsenbord": "keyboard", "clavier": "keyboard",
    "tastiera": "keyboard", "teclado": "keyboard", "toets": "key", "toetsen": "keys",
    "tasten": "keys", "touche": "key",
    "scharnier": "hinge", "charniere": "hinge", "cerniera": "hinge", "bisagra": "hinge",
    "gehause": "case", "behuizing": "case",
    # heat / fan
    "uberhitzung": "overheating", "oververhit": "overheating", "oververhitting": "overheating",
    "surchauffe": "overheating", "surriscaldamento": "overheating", "heiss": "hot",
    "heet": "hot", "warm": "hot", "lufter": "fan", "ventilator": "fan", "ventilateur": "fan",
    "ventola": "fan", "luftung": "fan", "warmeleitpaste": "thermal paste",
    # software / start / speed
    "langzaam": "slow", "traag": "slow", "langsam": "slow", "lento": "slow",
    "start": "start", "startet": "start", "opstarten": "boot", "demarre": "start",
    "hochfahren": "boot", "bootet": "boot", "wachtwoord": "password", "passwort": "password",
    "kennwort": "password", "virus": "virus", "viren": "virus",
    "betriebssystem": "operating system", "besturingssysteem": "operating system",
    "einrichten": "setup", "instellen": "setup", "installeren": "install",
    "installieren": "install", "aktualisierung": "update", "updaten": "update",
    "vergeten": "forgotten", "vergessen": "forgotten", "oublie": "forgotten",
    "absturz": "crash", "sturzt": "crash", "crasht": "crash", "vastlopen": "freeze",
    "hangt": "freeze", "hangt op": "freeze", "blockiert": "freeze",
    # storage / drive
    "festplatte": "hard drive", "schijf": "disk", "harde": "hard", "disque": "disk",
    "speicher": "storage", "geheugen": "memory", "opslag": "storage",
    "laufwerk": "drive", "cd": "disc", "dvd": "disc", "brander": "disc drive",
    "brenner": "disc drive", "lecteur": "drive",
    # liquid
    "wasser": "water", "water": "water", "eau": "water", "acqua": "water", "agua": "water",
    "nass": "wet", "koffie": "coffee", "kaffee": "coffee", "thee": "tea",
    "gemorst": "spilled", "verschuttet": "spilled", "renverse": "spilled",
    "waterschade": "water damage", "wasserschaden": "water damage",
    # sound / camera / buttons / wireless
    "geluid": "sound", "suono": "sound", "sonido": "sound",
    "lautsprecher": "speaker", "luidspreker": "speaker",
    "microfoon": "microphone", "mikrofon": "microphone", "kopfhorer": "headphone",
    "koptelefoon": "headphone", "camara": "camera", "kamera": "camera",
    "knop": "button", "knopf": "button", "bouton": "button", "pulsante": "button",
    "boton": "button", "schalter": "switch", "aan": "on", "uit": "off", "ein": "on",
    "aus": "off", "draadloos": "wireless", "verbinding": "connection",
    "verbindung": "connection", "netwerk": "network", "netzwerk": "network",
    # general
    "geht": "works", "werkt": "works", "funktioniert": "works", "marche": "works",
    "funziona": "works", "funciona": "works", "niet": "not", "nicht": "not",
    "geen": "no", "kein": "no", "keine": "no", "meer": "more", "mehr": "more",
    "gevallen": "dropped", "heruntergefallen": "dropped", "gefallen": "dropped",
    "tombe": "dropped", "caduto": "dropped", "scheur": "crack",
    "wackelkontakt": "loose contact",
}  # fmt: skip

# Foreign repair words that are English words too ("my son", "a ton of pop-ups", "ghost touches",
# "lent it to my lad"): translated only in a text that has another, unmistakably foreign word of
# the glossary ("kein ton", "pas de son"), so English text keeps its meaning.
FALSE_FRIENDS = {
    "son": "sound", "ton": "sound", "haut": "speaker", "lad": "charge", "taste": "key",
    "touches": "keys", "lent": "slow", "locker": "loose", "los": "loose", "pas": "not",
    "nie": "not", "mot": "word", "tee": "tea", "nat": "wet",
}  # fmt: skip
# Glossary words an English text uses in the same sense: no sign that a text is foreign.
_ALSO_ENGLISH = frozenset(
    ["charge", "start", "virus", "water", "warm", "adapter", "defect", "cd", "dvd"]
)
_FOREIGN = frozenset(GLOSSARY) - _ALSO_ENGLISH

_TOKEN = re.compile(r"[a-z0-9]+")
_WITH = re.compile(r"\bw/")
_SPLIT_GLUED = re.compile(r"([a-z])([A-Z])")  # "abWärmeleitpaste": words glued by a lost newline


def fold_accents(text: str) -> str:
    """``Überhitzung`` → ``Uberhitzung``: decompose and drop combining marks."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def _word_map(foreign: bool) -> dict[str, str]:
    return {**GLOSSARY, **SHORTHAND, **(FALSE_FRIENDS if foreign else {})}


def normalise_text(text: str | None) -> str:
    """Lowercase, accent-folded, shorthand-expanded, glossary-translated words joined by spaces;
    clauses that say a part works (``touch still ok``) and damage the text denies (``not
    cracked``) are left out (``drop_intact_clauses``, ``without_denied_damage``)."""
    if not text:
        return ""
    text = fold_accents(_SPLIT_GLUED.sub(r"\1 \2", text)).lower().replace("'", "")
    text = _WITH.sub(" with ", text)
    words = _word_map(foreign=not _FOREIGN.isdisjoint(_TOKEN.findall(text)))
    clauses = [
        " ".join(words.get(token, token) for token in _TOKEN.findall(clause)).split()
        for clause in _PUNCTUATION.split(text)
    ]
    return " ".join(drop_intact_clauses([without_denied_damage(c) for c in clauses if c]))


# Generic names of the device itself ("my laptop", "the phone"): the category is a feature of its
# own, so these words can only teach the model how often the history's phrasings happen to name the
# device for each fault. "controller" stays: for consoles it names the faulty part.
DEVICE_NOUNS = frozenset([
    "phone", "phones", "mobile", "smartphone", "cellphone", "tablet", "tab", "laptop", "laptops",
    "notebook", "computer", "pc", "console", "smartwatch",
])  # fmt: skip


def without_device_nouns(normalised: str) -> str:
    """``normalised`` text without the generic names of the device (``DEVICE_NOUNS``)."""
    return " ".join(word for word in normalised.split() if word not in DEVICE_NOUNS)


# A clause saying that something works ("front is fine", "headphones work", "touch still ok")
# names a part that is *not* the fault; its words would otherwise vote for that part's faults.
_PUNCTUATION = re.compile(r"[,.;:!?()\[\]/\\|+&-]+")
_CONNECTORS = "but though although and also plus except while whereas"
_INTACT = "fine ok okay normal normally intact undamaged unaffected works work working"
_TROUBLE = (
    "not no nothing never only sometimes stopped stop died dead broken cracked smashed then was "
    "were until anymore after since weird without randomly barely hardly slow slowly hot half "
    "intermittent intermittently when if any more less off minute minutes mins hour hours seconds"
)


# Damage a customer rules out ("the screen's not cracked", "no cracks or anything", "not even
# broken") says the fault is something else; the damage words alone would vote for a crack.
# Only damage words: a denied part or function ("no sound", "no power") is itself the symptom.
_DAMAGE, _DENIAL, _BETWEEN_DENIAL = (
    frozenset(words.split())
    for words in (
        "cracked crack cracks cracking broken smashed shattered chipped chip chips dent dented "
        "bent damage damaged scratch scratches scratched",
        "no not never without nothing",
        "even a any visible visibly really at all been physically",
    )
)


def without_denied_damage(words: list[str]) -> list[str]:
    """``words`` without the damage words that directly follow a denial (``not cracked``, ``no
    visible damage``, ``not even broken``), or a denied one and ``or`` (``not cracked or
    chipped``); other words a denial precedes stay."""
    kept: list[str] = []
    denied = False  # the last damage word was denied
    for i, word in enumerate(words):
        before = i - 1
        while before >= 0 and words[before] in _BETWEEN_DENIAL:
            before -= 1
        if (
            word in _DAMAGE
            and before >= 0
            and (words[before] in _DENIAL or (denied and words[before] in ("or", "nor")))
        ):
            denied = True
            continue
        denied = denied and word in ("or", "nor")
        kept.append(word)
    return kept


def drop_intact_clauses(clauses: list[list[str]]) -> list[str]:
    """The words of ``clauses`` (each further split at ``but``, ``and``, …) without the clauses
    that only say something works; everything is kept when every clause would go."""
    connectors, intact, trouble = (frozenset(w.split()) for w in (_CONNECTORS, _INTACT, _TROUBLE))
    parts: list[list[str]] = []
    for clause in clauses:
        current: list[str] = []
        for i, word in enumerate(clause):
            if word in connectors and current and clause[i + 1 : i + 2] != ["off"]:  # on and off
                parts.append(current)
                current = []
            current.append(word)
        parts.append(current)
    kept = [part for part in parts if not (intact & set(part)) or trouble & set(part)]
    return [word for part in (kept or parts) for word in part]


# Repair concepts: words (normalised) that name the same part or problem. The model sees the
# concepts a text mentions as extra features, so a word it never met in training ("bios",
# "webcam") still points where its better-known synonyms do. General domain vocabulary.
CONCEPTS: dict[str, frozenset[str]] = {
    name: frozenset(words.split())
    for name, words in {
        "software": "software update updates updated updating upgrade windows macos android ios "
        "app apps virus malware adware spyware popups popup ads password passcode pin login logon "
        "locked account reset install reinstall installation setup configure configuration "
        "settings driver drivers bios firmware program programs freeze freezes freezing frozen "
        "crash crashes crashing slow sluggish laggy lag glitchy glitch restore antivirus browser "
        "icloud disabled forgot forgotten bootloop loop logo reboots rebooting restarts restarting",
        "storage": "disk disks drive hdd ssd storage files bootable partition clicking corrupted "
        "recovery recover",
        "power": "power dead start starts starting boot boots booting switch switches lifeless "
        "nothing",
        "battery": "battery batteries drains drain draining dies dying percent charge charging "
        "charger flat lasts",
        "screen": "screen display image picture backlight lines line pixels flicker flickering "
        "monitor touchscreen blank dim dark spots bleeding tint colours colors",
        "damage": "cracked crack cracks cracking broken shattered smashed glass dropped fell fall "
        "falls chipped chip splintered spiderweb spiderwebbed dent dented bent shards threw "
        "thrown sat stepped",
        "heat": "hot heat overheating overheats overheat fan fans noise noisy loud dust dusty "
        "thermal warm burning whirring rattling rattle vent vents cooling",
        "liquid": "water wet liquid spilled spill spilt coffee tea juice drink rain soaked damp "
        "beer toilet sink pool sea beach bath bathtub shower soda milk wine moisture condensation "
        "foggy humid rice",
        "keyboard": "keyboard key keys trackpad touchpad mouse typing cursor spacebar letters",
        "chassis": "hinge hinges lid case chassis housing casing cover wobbly wobbles wobble flops",
        "port": "port ports socket jack connector plug usb hdmi slot cable lightning dock "
        "wiggle angle",
        "sound": "sound audio speaker speakers microphone headphone headphones volume earpiece "
        "hear muffled crackling crackles distorted quiet silent mute ringer calls",
        "camera": "camera webcam photo photos pics pictures selfie lens blurry focus flash",
        "network": "wi fi wireless bluetooth network internet signal wlan connect connection "
        "service reception sim 4g 5g lte pair pairing paired gps hotspot",
        "disc": "disc disk optical tray eject dvd cd bluray grinding",
        "button": "button buttons crown clicky",
        "touch": "touch tap taps tapping swipe swiping responsive unresponsive ghost digitizer "
        "finger presses pressing",
        "biometric": "face id fingerprint unlock sensor biometric",
        "controller": "controller stick sticks joystick joycon joycons analog drift drifting "
        "thumbstick gamepad",
    }.items()
}


def concepts(normalised: str) -> str:
    """The concepts a normalised text mentions, as space-separated ``concept_<name>`` tokens.

    A misspelt concept word of six letters or more still counts when it has one letter too many,
    too few or two swapped (``buton``, ``screeen``, ``keybaord``)."""
    words = set(normalised.split())
    words |= {fixed for word in words - _CONCEPT_WORDS if (fixed := _respelled(word))}
    return " ".join(f"concept_{name}" for name, members in CONCEPTS.items() if words & members)


MIN_RESPELL_LENGTH = 6  # shorter words are too often another real word one letter away
_CONCEPT_WORDS = frozenset().union(*CONCEPTS.values())
# Real words one letter away from a concept word ("causing" / "casing").
_NOT_MISSPELT = frozenset(["causing", "wiping", "aware", "drives", "lighting"])


def _variants(word: str) -> set[str]:
    """``word`` with one letter dropped or two neighbours swapped."""
    dropped = {word[:i] + word[i + 1 :] for i in range(len(word))}
    swapped = {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    return dropped | swapped


@cache
def _misspellings() -> dict[str, str]:
    """Misspelling → concept word, for one dropped letter or one swap; ambiguous ones left out."""
    found: dict[str, set[str]] = {}
    for word in _CONCEPT_WORDS:
        if len(word) >= MIN_RESPELL_LENGTH:
            for variant in _variants(word) - {word}:
                found.setdefault(variant, set()).add(word)
    return {v: next(iter(w)) for v, w in found.items() if len(w) == 1 and v not in _CONCEPT_WORDS}


def _respelled(word: str) -> str | None:
    """The concept word ``word`` is a misspelling of (letter missing, extra or swapped), or None."""
    if len(word) < MIN_RESPELL_LENGTH - 1 or word in _NOT_MISSPELT:
        return None
    if word in _misspellings():  # a letter missing or two swapped
        return _misspellings()[word]
    matches = {v for v in _variants(word) if v in _CONCEPT_WORDS and len(v) >= MIN_RESPELL_LENGTH}
    return matches.pop() if len(matches) == 1 else None  # a letter too many
