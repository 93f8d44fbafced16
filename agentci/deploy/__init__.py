"""Deploy on merge: reconcile a workspace with the repo (desired -> plan -> apply -> status).

desired.py builds what a commit says should run; plan.py compares it with the live
workspace by content hash; apply.py reconciles under a lease lock; status.py records
what happened; writeback.py commits the status file back to the repo. The workspace
itself sits behind the small interface in backends/base.py.
"""
