"""What every check sees: the loaded Repo plus one cache of file texts (each file read once)."""

from __future__ import annotations

from dataclasses import dataclass, field

from agentci.documents import read_text
from agentci.findings import Finding
from agentci.repo import Agent, Repo


@dataclass
class Context:
    repo: Repo
    _texts: dict[str, tuple[str | None, list[Finding]]] = field(default_factory=dict, repr=False)
    _knowledge: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def read(self, path: str) -> tuple[str | None, list[Finding]]:
        """Text of a repo file (None with findings when unreadable), read at most once."""
        if path not in self._texts:
            doc = self.repo.documents.get(path)
            if doc is not None:
                # A document that failed to read already carries its findings in repo.findings.
                self._texts[path] = (doc.text if doc.text or doc.ok else None, [])
            else:
                self._texts[path] = read_text(self.repo.source, path)
        return self._texts[path]

    def knowledge_files(self, agent: Agent) -> list[str]:
        if agent.manifest not in self._knowledge:
            self._knowledge[agent.manifest] = agent.knowledge_files(self.repo.source)
        return self._knowledge[agent.manifest]

    def text(self, path: str) -> str | None:
        return self.read(path)[0]

    def files_read(self) -> list[str]:
        """Every file agentci reads: config, manifests, prompts, tools, evals, swarm, knowledge."""
        out = set(self.repo.documents)
        for agent in self.repo.agents:
            if agent.prompt:
                out.add(agent.prompt)
            out.update(self.knowledge_files(agent))
        return sorted(out)
