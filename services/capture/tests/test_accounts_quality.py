"""How well the account matcher does on generated companies and people: typos, legal suffixes,
subsidiaries' domains, subdomains, websites, free-mail users and people of no company.

The generator is seeded and kept here, so the figures are the same on every run. The batches
go through the pure planner as the intake runs it (ten leads a batch, each batch seeing only the
accounts the store would read for it: those of its domains and of its name keys)."""

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import combinations

from leadflow_capture.app.account_matching import accounts_to_match
from leadflow_capture.domain.account_planning import AccountState, plan_accounts
from leadflow_capture.domain.account_waiting import Waiting, adopt_waiting, name_rows, opened_names
from leadflow_capture.domain.accounts import lead_facts, name_keys, registrable_domain

SEED = 31
BATCH = 10
NOW = datetime(2026, 12, 3, tzinfo=UTC)
FIRST = """Blue North Silver Apex Harbor Pine Iron Cedar Summit Vertex Nova Orbit Granite Maple
Falcon Crystal Golden River Stone Bright Swift Atlas Quantum Crimson Emerald Polar Solar Lunar
Coastal Prairie Redwood Oak Willow Aspen Beacon Keystone Pioneer Frontier Horizon Meridian""".split()
SECOND = """Analytics Logistics Foods Robotics Dynamics Systems Partners Health Energy Media Capital
Software Networks Textiles Pharma Builders Consulting Freight Insurance Labs Security Studios
Payments Motors Farms Metrics Hotels Retail Learning Devices""".split()
COINED = "Zentrix Omnicore Quorvo Brightwave Talvana Nexora Veltrix Soluna Kyberion Marlowe".split()
LEGAL = [
    "",
    " Inc",
    " Inc.",
    ", Inc.",
    " LLC",
    " Ltd",
    " Ltd.",
    " GmbH",
    " Corp",
    " Corporation",
    " plc",
    " S.A.",
]
TLDS = [".com", ".io", ".co.uk", ".de", ".com.au", ".example", ".fr"]
FREE = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "yahoo.co.uk", "gmx.de", "proton.me"]
SUBDOMAINS = ["mail.", "eu.", "sales.", "us.", "corp."]


@dataclass(frozen=True)
class Company:
    name: str
    domain: str
    subsidiaries: tuple[str, ...]


@dataclass(frozen=True)
class Person:
    lead_id: uuid.UUID
    company: str | None  # the truth: which company they work at, None when they say nothing of it
    email: str
    profile: dict


def typo(rng: random.Random, text: str) -> str:
    """One slip of the hand in a word of five letters or more: a letter dropped, doubled,
    swapped with the next, or struck beside."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 5]
    if not long:
        return text
    i = rng.choice(long)
    word, at = words[i], rng.randrange(1, len(words[i]) - 1)
    kind = rng.choice(["drop", "double", "swap", "strike"])
    if kind == "drop":
        word = word[:at] + word[at + 1 :]
    elif kind == "double":
        word = word[:at] + word[at] + word[at:]
    elif kind == "swap":
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    else:
        word = word[:at] + rng.choice("aeiourstln") + word[at + 1 :]
    words[i] = word
    return " ".join(words)


def as_typed(rng: random.Random, name: str) -> str:
    """A company name as one of its people types it."""
    typed = name + rng.choice(LEGAL)
    if rng.random() < 0.25:
        typed = typo(rng, typed)
    return rng.choice([typed, typed, typed.lower(), typed.upper()])


def companies(rng: random.Random, count: int) -> list[Company]:
    names = [f"{a} {b}" for a in FIRST for b in SECOND]
    rng.shuffle(names)
    chosen = names[: count - len(COINED)] + COINED
    made, domains = [], set()
    for name in chosen:
        slug = name.lower().replace(" ", rng.choice(["", "-"]))
        domain = slug + rng.choice(TLDS)
        while domain in domains:
            domain = slug + rng.choice(TLDS)
        domains.add(domain)
        subsidiaries = ()
        if rng.random() < 0.25:
            subsidiaries = tuple({f"{slug}-{rng.choice(['labs', 'group', 'digital'])}.com", f"{slug}.fr"})
        made.append(Company(name, domain, subsidiaries))
    return made


def person_of(rng: random.Random, company: Company, n: int) -> Person:
    local, kind = f"p{n}", rng.random()
    name = as_typed(rng, company.name)
    if kind < 0.5:
        email = f"{local}@{rng.choice(['', '', '', *SUBDOMAINS])}{company.domain}"
        profile = {"company": name} if rng.random() < 0.7 else {}
        return Person(uuid.uuid4(), company.name, email, profile)
    if kind < 0.65 and company.subsidiaries:
        email = f"{local}@{rng.choice(company.subsidiaries)}"
        return Person(uuid.uuid4(), company.name, email, {"company": name})
    if kind < 0.8:
        return Person(uuid.uuid4(), company.name, f"{local}@{rng.choice(FREE)}", {"company": name})
    if kind < 0.88:
        website = rng.choice([company.domain, f"https://www.{company.domain}/", f"www.{company.domain}"])
        profile = {"attributes": {"website": website}}
        return Person(uuid.uuid4(), company.name, f"{local}@{rng.choice(FREE)}", profile)
    # A colleague on free-mail saying nothing of the company: nothing can tell, nothing may link.
    return Person(uuid.uuid4(), None, f"{local}@{rng.choice(FREE)}", {})


def people(seed: int = SEED) -> list[Person]:
    rng = random.Random(seed)
    made, known = [], companies(rng, 120)
    for company in known:
        for _ in range(rng.randint(1, 8)):
            made.append(person_of(rng, company, len(made)))
    # People of companies not among these (free-mail: no account can be made for them), whose
    # names share words with those that are: any link of theirs is a wrong one.
    taken = {company.name for company in known}
    outsiders = [f"{a} {b}" for a in FIRST for b in SECOND if f"{a} {b}" not in taken]
    for name in rng.sample(outsiders, 40):
        made.append(
            Person(uuid.uuid4(), name, f"p{len(made)}@{rng.choice(FREE)}", {"company": as_typed(rng, name)})
        )
    for _ in range(60):  # consumers and freelancers, some naming a trade rather than a company
        profile = (
            {"company": rng.choice(["Self-employed", "Freelance", "Student"])} if rng.random() < 0.3 else {}
        )
        made.append(Person(uuid.uuid4(), None, f"p{len(made)}@{rng.choice(FREE)}", profile))
    rng.shuffle(made)
    return made


def run_matcher(everyone: list[Person]) -> tuple[dict[uuid.UUID, uuid.UUID | None], float]:
    """Each person's account, batch by batch as accounts_matching runs it (the store's reads
    simulated: accounts and waiting people sharing a domain or a name key); and the planner's
    CPU seconds."""
    stored: list[AccountState] = []
    waiting: dict[uuid.UUID, dict] = {}  # company_names without an account
    links: dict = {}
    account_of: dict[uuid.UUID, uuid.UUID | None] = {}
    cpu = 0.0

    async def read(domains: list[str], keys: list[str]) -> list[AccountState]:
        """What accounts_store.accounts_for_matching reads."""
        return [
            a
            for a in stored
            if set(domains) & set(a.domains) or set(keys) & set(name_keys(a.normalized_name))
        ]

    async def lock(keys: list[str]) -> None:
        """One batch at a time here: nothing to wait for."""

    for start in range(0, len(everyone), BATCH):
        people_now = everyone[start : start + BATCH]
        began = time.process_time()
        batch = [lead_facts(p.lead_id, p.email, p.profile) for p in people_now]
        cpu += time.process_time() - began
        book = asyncio.run(accounts_to_match(read, lock, batch))
        began = time.process_time()
        plan = plan_accounts(batch, [], links, book, now=NOW)
        opened = set(opened_names(plan))
        cpu += time.process_time() - began
        found = [
            Waiting(w["lead_id"], w["normalized_name"], w["typed_name"])
            for w in waiting.values()
            if opened & set(w["name_keys"])
        ]
        began = time.process_time()
        adopted = adopt_waiting(plan, book, found, now=NOW) if opened else []
        rows = name_rows(plan, batch, links, adopted)
        cpu += time.process_time() - began
        for row in rows:
            if row["account_id"] is None:
                waiting[row["lead_id"]] = row
            else:
                waiting.pop(row["lead_id"], None)
        stored += [plan.accounts[i] for i in plan.created]
        account_of.update(plan.account_of)
    return account_of, cpu


def founded(everyone: list[Person]) -> set[str]:
    """The companies an account can be made for: some person of theirs brought a domain."""
    return {p.company for p in everyone if p.company and lead_facts(p.lead_id, p.email, p.profile).domains()}


def scores(everyone: list[Person], account_of: dict) -> dict[str, float]:
    """Per lead: an applied match is right when its account is its company's (the company most
    of the account's people work at). Precision over every applied match; recall over every
    person of a company who said anything of it. Pairwise figures beside them."""
    members: dict[uuid.UUID, Counter] = {}
    for person in everyone:
        if (account := account_of[person.lead_id]) is not None:
            members.setdefault(account, Counter())[person.company] += 1
    company_of = {account: counts.most_common(1)[0][0] for account, counts in members.items()}
    applied = [p for p in everyone if account_of[p.lead_id] is not None]
    right = [p for p in applied if p.company is not None and company_of[account_of[p.lead_id]] == p.company]
    # Who can be found: a person of a company some colleague of hers made an account for (by an
    # email or website domain); a free-mail person of a company nobody else came from cannot.
    can_find = founded(everyone)
    knowable = [p for p in everyone if p.company in can_find]
    predicted = {
        (a.lead_id, b.lead_id)
        for a, b in combinations(applied, 2)
        if account_of[a.lead_id] == account_of[b.lead_id]
    }
    truly = {
        (a.lead_id, b.lead_id) for a, b in combinations(everyone, 2) if a.company and a.company == b.company
    }
    accounts_per_company = Counter(company_of.values())
    return {
        "people": len(everyone),
        "applied": len(applied),
        "precision": len(right) / len(applied),
        "recall": len(right) / len(knowable),
        "pair_precision": len(predicted & truly) / len(predicted),
        "pair_recall": len(predicted & truly) / len(truly),
        "accounts_per_company": sum(accounts_per_company.values()) / len(accounts_per_company),
    }


def test_applied_matches_are_precise_and_find_nearly_everyone():
    everyone = people()
    assert len(everyone) >= 500
    registrable_domain("warm.example")  # the suffix list is parsed once per process, not per lead
    account_of, cpu = run_matcher(everyone)
    figures = scores(everyone, account_of)
    print(
        "\naccount matching on {people} generated people: {applied} applied, precision {precision:.3f},"
        " recall {recall:.3f} (pairwise {pair_precision:.3f} / {pair_recall:.3f}),"
        " {accounts_per_company:.2f} accounts per company; planner CPU {us:.0f} µs per lead".format(
            **figures, us=cpu / len(everyone) * 1e6
        )
    )
    assert figures["precision"] >= 0.98
    assert figures["recall"] >= 0.95
    can_find = founded(everyone)
    unknowable = [p for p in everyone if p.company not in can_find]
    assert sum(account_of[p.lead_id] is not None for p in unknowable) <= 0.02 * len(unknowable)
