# 行政指导管理系统 — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app webapp
RUNTIME_PACKAGES := fonts-arphic-uming fonts-wqy-zenhei
TEST_PACKAGES := fonts-arphic-uming fonts-wqy-zenhei chromium fonts-noto-cjk postgresql poppler-utils libatomic1 nginx openssl systemd
BENCH_PACKAGES := fonts-arphic-uming fonts-wqy-zenhei libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
PG_DIR ?= /tmp/guidance-pg-$(shell id -u)
PG_PORT ?= 54329
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run serve test install install-dev system-packages test-sqlite test-postgres bench clean help

help:
	@echo "make run    — 安装、迁移、导入演示数据并在 http://127.0.0.1:5000 启动"
	@echo "make test   — 安装开发依赖并运行全部测试（SQLite + PostgreSQL + 浏览器）"
	@echo "make serve  — 用 gunicorn（gunicorn.conf.py）在 http://127.0.0.1:8000 提供服务，生产部署见 README 与 deploy/"
	@echo "make install | make bench | make clean"

$(BIN)/python:
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || scripts/system-packages.sh python3-venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: install
	@scripts/system-packages.sh $(RUNTIME_PACKAGES)
	$(FLASK) init-db
	$(FLASK) seed-demo
	@$(FLASK) check
	@echo "== 演示账号 (instance/demo-credentials.txt) =="
	@cat instance/demo-credentials.txt
	@echo "== 正式使用时的第一个管理员：$(FLASK) users create 用户名 --role admin --unit 办公室（密码从标准输入读取）；其余用户由管理员在“用户管理”（/admin/users）中创建 =="
	@echo "== 打开 http://127.0.0.1:5000 （Flask 开发服务器，仅供试用；生产环境请用 make serve 或 deploy/ 中的 systemd 服务；后台任务程序 worker 同时运行，随服务器一起停止）=="
	@$(FLASK) worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port 5000

# gunicorn with the repository's settings (workers from the CPU count, JSON access log).
serve: install
	@scripts/system-packages.sh $(RUNTIME_PACKAGES)
	$(FLASK) init-db
	@$(FLASK) check
	@echo "== gunicorn on http://$${GUNICORN_BIND:-127.0.0.1:8000} (gunicorn.conf.py) =="
	$(BIN)/gunicorn --config gunicorn.conf.py

test: install-dev
	@scripts/system-packages.sh $(TEST_PACKAGES)
	@$(MAKE) --no-print-directory test-sqlite
	@$(MAKE) --no-print-directory test-postgres

test-sqlite: install-dev
	$(BIN)/pytest -p no:cacheprovider

# The database-backed tests again on a real PostgreSQL server started here on loopback.
test-postgres: install-dev
	@url=$$(scripts/pg-test-server.sh start $(PG_DIR) $(PG_PORT)) || { \
	  echo "!! PostgreSQL test server could not start"; exit 1; }; \
	trap 'scripts/pg-test-server.sh stop $(PG_DIR)' EXIT; \
	echo ">> PostgreSQL tests on $$url"; \
	TEST_DATABASE_URL=$$url $(BIN)/pytest -p no:cacheprovider tests/webapp -m "not e2e and not sqlite_only"

bench: install-dev
	@scripts/system-packages.sh $(BENCH_PACKAGES)
	$(BIN)/pip install -q -e '.[dev,bench]'
	@for b in bench/*_bench.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache tests/e2e/artifacts
