# invoice_followup: the two everyday commands are
#   make run  ODOO_SRC=/path/to/odoo-18.0   demo database + Odoo on http://localhost:8069
#   make test ODOO_SRC=/path/to/odoo-18.0   fresh test database, the addon's tests, "N passed, N failed"
# ODOO_SRC is needed once (it is remembered for PYTHON); afterwards `make run` / `make test` suffice.
# The logic lives in scripts/ (ensure_env.sh sets the machine up, idempotently).

PYTHON ?= python3
ODOO_SRC ?=
DB ?= invoice_followup_demo
PORT ?= 8069
BENCH_ARGS ?=
QUEUE_BENCH_ARGS ?=
LETTERS_ARGS ?=
FORECAST_ARGS ?=
CHAOS_ARGS ?=
FIX ?= 0
K ?=
PYTEST_ARGS ?=
PYTEST_DB ?= ifu_pytest
N ?= 5
MAIL_DIR ?= .cache/mail-catcher
SMS_DIR ?= .cache/sms-catcher
export PYTHON ODOO_SRC DB PORT FIX K PYTEST_ARGS PYTEST_DB

.PHONY: help setup run mails sms test upgrade-test bench bench-queue bench-letters forecast chaos wheel lint pytest clean

help:
	@echo "make run   [ODOO_SRC=/path/to/odoo-18.0] [DB=invoice_followup_demo] [PORT=8069]"
	@echo "make mails [N=5]    the latest mails the demo (make run) sent to its local mail catcher, .cache/mail-catcher/"
	@echo "make sms   [N=5]    the latest SMS the demo (make run) sent to its local SMS capture, .cache/sms-catcher/"
	@echo "make test  [ODOO_SRC=/path/to/odoo-18.0] [TEST_TAGS=/invoice_followup]"
	@echo "make upgrade-test  [UPGRADE_FROM=commit] [KEEP=1]  upgrade from the previous release, records kept"
	@echo "make bench  [BENCH_ARGS=\"--customers 200 --invoices 1000 --skip-oca\"]  benchmarks/run.py"
	@echo "make bench-queue  [QUEUE_BENCH_ARGS=\"--customers 1000 --invoices 3000 --workers 1,2\"]  the daily run as queue_job jobs, 1 vs 2 workers, benchmarks/queue_jobs.py"
	@echo "make bench-letters  [LETTERS_ARGS=\"--customers 60 --invoices 300 --no-attach\"]  the run with letters (and invoice PDFs): batched, one by one, at print, benchmarks/letters.py"
	@echo "make forecast  [FORECAST_ARGS=\"--skip-demo\"]  back-test of the predicted payment dates, benchmarks/forecast.py"
	@echo "make chaos  [CHAOS_ARGS=\"--customers 60 --kills 5\"]  crash test: SIGKILL the cron, benchmarks/chaos.py"
	@echo "make wheel    dist/odoo_addon_invoice_followup-<version>-py3-none-any.whl"
	@echo "make setup    only install what is missing (done by run/test anyway)"
	@echo "make lint  [FIX=1]  OCA's pre-commit checks offline (ruff, ruff-format, pylint-odoo, oca-checks...);"
	@echo "                    FIX=1 applies the automatic fixes first; LINT_STRICT=1 fails on optional checks too"
	@echo "make pytest [K=test_name] [PYTEST_ARGS=\"invoice_followup/tests/test_x.py -x\"] [PYTEST_DB=ifu_pytest]"
	@echo "                    pytest-odoo on a database with the addon (created/updated when needed);"
	@echo "                    Odoo's HTTP server runs in pytest, so HttpCase tests and the portal tour"
	@echo "                    run too (PYTEST_HTTP=0 skips them); the install checks and the upgrade"
	@echo "                    test run only in make test, which stays the CI gate"

setup:
	@bash scripts/ensure_env.sh full

run:
	@bash scripts/run_demo.sh

mails:
	@$(PYTHON) scripts/mail_catcher.py list --dir "$(MAIL_DIR)" -n $(N)

sms:
	@$(PYTHON) scripts/sms_catcher.py list --dir "$(SMS_DIR)" -n $(N)

test:
	@bash scripts/run_tests.sh

upgrade-test:
	@bash scripts/upgrade_test.sh

bench:
	@bash scripts/bench.sh $(BENCH_ARGS)

bench-queue:
	@BENCH_SCRIPT=queue_jobs.py bash scripts/bench.sh $(QUEUE_BENCH_ARGS)

bench-letters:
	@BENCH_SCRIPT=letters.py bash scripts/bench.sh $(LETTERS_ARGS)

forecast:
	@BENCH_SCRIPT=forecast.py bash scripts/bench.sh $(FORECAST_ARGS)

chaos:
	@bash scripts/chaos.sh $(CHAOS_ARGS)

wheel:
	@bash scripts/build_wheel.sh

lint:
	@bash scripts/lint.sh

pytest:
	@bash scripts/pytest.sh

clean:
	rm -rf .cache build dist setup/invoice_followup/build setup/invoice_followup/*.egg-info
