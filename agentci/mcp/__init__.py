"""`agentci mcp`: a Model Context Protocol server that serves one agent's view of the workspace.

Every path an agent names is checked against the policy `agentci deploy` wrote for it
(`.agentci/policies/<agent>.json` in the workspace), re-read on every call. Layout:

- `paths`: a workspace path as the agent wrote it -> a canonical one, or refused (traversal,
  encodings, NUL, backslashes, unicode lookalikes); then -> a real file under the workspace
  root, refusing symlinks deploy did not make and case tricks.
- `access`: the deployed policy and the rules a path must pass (internal, managed areas,
  other agents' memory, the read/write grants).
- `tools`: the tools (read_file, write_file, ..., acquire_lock, search_knowledge), plain Python.
- `knowledge_index`: BM25 over the knowledge deployed for the agent.
- `audit`: every call appended to `.agentci/audit.log`; what `agentci status` counts.
- `server`: the glue to the official `mcp` SDK (stdio and streamable HTTP), imported lazily.
"""
