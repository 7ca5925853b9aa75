"""The pure rules a session is judged by, shared by the agent's demo, the assets and the tests: `scoring.py`
(heuristic lead score, tier bands around the hot threshold), `cost.py` with `prices.yaml` (what a call cost), and
`evaluation.py` (the signal rules against labelled calls). The signal rules themselves live in `agent/signals/`,
because the agent runs them too."""
