"""Seed data for a running cluster: TPC-H and the profile's `[[seed]]` steps, atomic and repeatable.

`plan` (the steps, their fingerprints, the record, when to seed after `up`),
`site` (shell and SQL in the cluster), `steps` (running them), `tpch`
(generation: tables, DDL, counts) and `tpch_load` (loading and verifying it).
"""

from devenv.seed.plan import Step, first_start, load_record, plan, record_path, should_seed_after_up
from devenv.seed.site import Site, StepFailed, run_sql, split_sql
from devenv.seed.steps import SeedResult, seed

__all__ = ["SeedResult", "Site", "Step", "StepFailed", "first_start", "load_record", "plan", "record_path", "run_sql",
           "seed", "should_seed_after_up", "split_sql"]
