"""Topic names from the contract; a prefix lets a test run own its topics."""

from dataclasses import dataclass

DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class Topics:
    prefix: str = ""

    def _name(self, base: str) -> str:
        return f"{self.prefix}{base}"

    @property
    def captured(self) -> str:
        return self._name("leads.captured")

    @property
    def merged(self) -> str:
        return self._name("leads.merged")

    @property
    def activities(self) -> str:
        return self._name("leads.activities")

    @property
    def outcomes(self) -> str:
        return self._name("leads.outcomes")

    @property
    def scored(self) -> str:
        return self._name("leads.scored")

    @property
    def routed(self) -> str:
        return self._name("leads.routed")

    @property
    def erased(self) -> str:
        """Each service's answer to an erasure (`lead.erasure_applied`; the erasure itself,
        `lead.erased`, travels on `leads.captured`, which every service keeping a person reads)."""
        return self._name("leads.erased")

    @property
    def accounts(self) -> str:
        """B2B accounts: matches, changes, scores and owners, keyed by account id."""
        return self._name("leads.accounts")

    @property
    def audit(self) -> str:
        """Who did what, from every service to the console's audit trail."""
        return self._name("leadflow.audit")

    def main_topics(self) -> list[str]:
        leads = [
            self.captured,
            self.merged,
            self.activities,
            self.outcomes,
            self.scored,
            self.routed,
            self.erased,
            self.accounts,
        ]
        return [*leads, self.audit]

    def all_topics(self) -> list[str]:
        """Every topic the system uses, dead-letter topics included."""
        return [t for topic in self.main_topics() for t in (topic, dead_letter_topic(topic))]


def dead_letter_topic(topic: str) -> str:
    return f"{topic}{DLQ_SUFFIX}"
