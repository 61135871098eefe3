.PHONY: run test lint bench setup

setup:
	scripts/dev setup

run:
	scripts/dev run

test:
	scripts/dev test

lint:
	scripts/dev lint

bench:
	scripts/dev bench
