"""Deterministic language detection for visitor messages (langdetect, seeded)."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

__all__ = ["DEFAULT_LANGUAGES", "LanguageDetector", "stopwords"]

DEFAULT_LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "de", "pt", "it", "nl")

# Common function words: langdetect's statistics are easily fooled by a few content
# words ("do gift cards expire" scored Portuguese), function words are not.
_STOPWORDS_TEXT = {
    "en": """
        the a an to of and or is are do does did can could i you my your we our me it
        this that how what when where why which will would should be have has for with
        on in at from about please not no yes
    """,
    "es": """
        el la los las un una de del que y o es son en con por para mi mis tu su cómo
        como qué cuando dónde quiero puedo tengo hay no sí lo le se al
    """,
    "fr": """
        le la les un une des de du que et ou est sont en avec pour mon ma mes je tu vous
        nous il elle ce cette comment quand où ne pas oui à au
    """,
    "de": """
        der die das ein eine einen einem und oder ist sind mit für mein meine ich du sie
        wir es wie wann wo nicht ja kann möchte bitte zu im auf
    """,
    "pt": """
        o a os as um uma de do da dos das que e ou é são em com por para meu minha eu
        você como quando onde quero posso não sim no na ao
    """,
    "it": """
        il lo la i gli le un una di del della che e o è sono con per mio mia io tu come
        quando dove voglio posso non sì nel alla
    """,
    "nl": """
        de het een en of is zijn met voor mijn ik je jij wij hoe wanneer waar wil kan
        niet ja van op te
    """,
}
_STOPWORDS = {lang: frozenset(text.split()) for lang, text in _STOPWORDS_TEXT.items()}


def stopwords(lang: str) -> frozenset[str]:
    """Common function words of a language (English's when unknown)."""
    return _STOPWORDS.get(lang, _STOPWORDS["en"])


_NOISE = re.compile(r"https?://\S+|\S+@\S+|\b[A-Z]{1,4}-?\d{3,}\b|[\d#$€£%]+")
_WORD = re.compile(r"[^\W\d_]+")


class LanguageDetector:
    """langdetect restricted to the languages we expect, with English favoured.

    langdetect is unreliable on a few words ("hello" comes out as Dutch, "do you price
    match" as Portuguese), so short or uncertain messages keep the conversation's
    previous language instead of flipping it.
    """

    def __init__(
        self,
        languages: Sequence[str] = DEFAULT_LANGUAGES,
        *,
        min_words: int = 3,
        min_probability: float = 0.9,
        seed: int = 0,
    ) -> None:
        self._factory = DetectorFactory()
        # The profiles ship inside the langdetect package: nothing is downloaded.
        self._factory.load_profile(PROFILES_DIRECTORY)
        # Seeded so the same text always gives the same answer (tests, evals).
        self._factory.set_seed(seed)
        known = set(self._factory.get_lang_list())
        self.languages = [lang for lang in languages if lang in known] or ["en"]
        share = 0.6 / max(1, len(self.languages) - 1)
        self._prior = {lang: (0.4 if lang == "en" else share) for lang in self.languages}
        self.min_words = min_words
        self.min_probability = min_probability
        self._lock = threading.Lock()  # the factory's seeded RNG is shared

    def detect(self, text: str, previous: str | None = None) -> str:
        """ISO 639-1 code of the text's language, or the previous one when unsure."""
        return self.detect_sure(text) or previous or "en"

    def detect_sure(self, text: str) -> str | None:
        """The text's language when the evidence is clear, else None (too short, mixed)."""
        fallback = None
        cleaned = _NOISE.sub(" ", text)
        if len([w for w in _WORD.findall(cleaned) if len(w) > 1]) < self.min_words:
            return fallback
        with self._lock:
            detector = self._factory.create()
            detector.set_prior_map(dict(self._prior))
            detector.append(cleaned)
            try:
                best = detector.get_probabilities()[0]
            except (LangDetectException, IndexError):
                return fallback
        lang = str(best.lang)
        if best.prob < self.min_probability:
            return fallback
        if lang != "en":
            words = [w.lower() for w in _WORD.findall(cleaned)]
            own = sum(w in _STOPWORDS.get(lang, frozenset()) for w in words)
            english = sum(w in _STOPWORDS["en"] for w in words)
            # Switching away from English needs the language's own function words.
            if own == 0 or english >= own:
                return fallback
        return lang
