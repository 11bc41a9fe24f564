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
    "lad": "charge", "ladt": "charge", "ladet": "charge", "opladen": "charge",
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
    "taste": "key", "tasten": "keys", "touche": "key", "touches": "keys",
    "scharnier": "hinge", "charniere": "hinge", "cerniera": "hinge", "bisagra": "hinge",
    "gehause": "case", "behuizing": "case",
    # heat / fan
    "uberhitzung": "overheating", "oververhit": "overheating", "oververhitting": "overheating",
    "surchauffe": "overheating", "surriscaldamento": "overheating", "heiss": "hot",
    "heet": "hot", "warm": "hot", "lufter": "fan", "ventilator": "fan", "ventilateur": "fan",
    "ventola": "fan", "luftung": "fan", "warmeleitpaste": "thermal paste",
    # software / start / speed
    "langzaam": "slow", "traag": "slow", "langsam": "slow", "lent": "slow", "lento": "slow",
    "start": "start", "startet": "start", "opstarten": "boot", "demarre": "start",
    "hochfahren": "boot", "bootet": "boot", "wachtwoord": "password", "passwort": "password",
    "kennwort": "password", "mot": "word", "virus": "virus", "viren": "virus",
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
    "nat": "wet", "nass": "wet", "koffie": "coffee", "kaffee": "coffee", "thee": "tea",
    "tee": "tea", "gemorst": "spilled", "verschuttet": "spilled", "renverse": "spilled",
    "waterschade": "water damage", "wasserschaden": "water damage",
    # sound / camera / buttons / wireless
    "geluid": "sound", "ton": "sound", "son": "sound", "suono": "sound", "sonido": "sound",
    "lautsprecher": "speaker", "luidspreker": "speaker", "haut": "speaker",
    "microfoon": "microphone", "mikrofon": "microphone", "kopfhorer": "headphone",
    "koptelefoon": "headphone", "camara": "camera", "kamera": "camera",
    "knop": "button", "knopf": "button", "bouton": "button", "pulsante": "button",
    "boton": "button", "schalter": "switch", "aan": "on", "uit": "off", "ein": "on",
    "aus": "off", "draadloos": "wireless", "verbinding": "connection",
    "verbindung": "connection", "netwerk": "network", "netzwerk": "network",
    # general
    "geht": "works", "werkt": "works", "funktioniert": "works", "marche": "works",
    "funziona": "works", "funciona": "works", "niet": "not", "nicht": "not", "nie": "not",
    "pas": "not", "geen": "no", "kein": "no", "keine": "no", "meer": "more", "mehr": "more",
    "gevallen": "dropped", "heruntergefallen": "dropped", "gefallen": "dropped",
    "tombe": "dropped", "caduto": "dropped", "scheur": "crack", "los": "loose",
    "locker": "loose", "wackelkontakt": "loose contact",
}  # fmt: skip

_TOKEN = re.compile(r"[a-z0-9]+")
_WITH = re.compile(r"\bw/")
_SPLIT_GLUED = re.compile(r"([a-z])([A-Z])")  # "abWärmeleitpaste": words glued by a lost newline


def fold_accents(text: str) -> str:
    """``Überhitzung`` → ``Uberhitzung``: decompose and drop combining marks."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def _word_map() -> dict[str, str]:
    return {**GLOSSARY, **SHORTHAND}


def normalise_text(text: str | None) -> str:
    """Lowercase, accent-folded, shorthand-expanded, glossary-translated words joined by spaces."""
    if not text:
        return ""
    text = fold_accents(_SPLIT_GLUED.sub(r"\1 \2", text)).lower().replace("'", "")
    text = _WITH.sub(" with ", text)
    words = _word_map()
    return " ".join(words.get(token, token) for token in _TOKEN.findall(text))


# Repair concepts: words (normalised) that name the same part or problem. The model sees the
# concepts a text mentions as extra features, so a word it never met in training ("bios",
# "webcam") still points where its better-known synonyms do. General domain vocabulary.
CONCEPTS: dict[str, frozenset[str]] = {
    name: frozenset(words.split())
    for name, words in {
        "software": "software update updates updated updating upgrade windows macos android ios "
        "app apps virus malware adware spyware popups password passcode pin login logon locked "
        "account reset install reinstall installation setup configure configuration settings "
        "driver drivers bios firmware program programs freeze freezes freezing frozen crash "
        "crashes crashing slow sluggish restore antivirus browser",
        "storage": "disk disks drive hdd ssd storage files bootable partition clicking",
        "power": "power dead start starts starting boot boots booting switch switches",
        "battery": "battery batteries drains drain dies percent charge charging charger",
        "screen": "screen display image picture backlight lines pixels flicker flickering monitor "
        "touchscreen",
        "damage": "cracked crack cracks broken shattered smashed glass dropped fell",
        "heat": "hot heat overheating overheats fan fans noise noisy loud dust dusty thermal",
        "liquid": "water wet liquid spilled spill coffee tea juice drink rain soaked damp beer",
        "keyboard": "keyboard key keys trackpad touchpad mouse typing",
        "chassis": "hinge hinges lid case chassis housing casing cover",
        "port": "port ports socket jack connector plug usb hdmi slot cable",
        "sound": "sound audio speaker speakers microphone headphone headphones volume earpiece",
        "camera": "camera webcam photo photos lens",
        "network": "wi fi wireless bluetooth network internet signal wlan connect connection",
        "disc": "disc disk optical tray eject",
        "button": "button buttons",
    }.items()
}


def concepts(normalised: str) -> str:
    """The concepts a normalised text mentions, as space-separated ``concept_<name>`` tokens."""
    words = set(normalised.split())
    return " ".join(f"concept_{name}" for name, members in CONCEPTS.items() if words & members)
