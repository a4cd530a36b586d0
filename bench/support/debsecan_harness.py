#!/usr/bin/python3
"""Runs Debian's debsecan on many dpkg status files in one process.

/usr/bin/debsecan is a Python script; it is imported as a module (its
`if __name__ == "__main__"` block does not run), its vulnerability data is
loaded once with its own fetch_data(), and its own rate_system() is called
once per status file with the "simple" formatter, exactly what
`debsecan --suite SUITE --source URL --status FILE --format simple` does per
run. Output (stdout, JSON): the data load time, the per-file times and each
file's "CVE binary-package" lines.

usage: debsecan_harness.py SUITE SOURCE_URL STATUS_FILE...
"""
import importlib.machinery
import importlib.util
import json
import sys
import time

t_import = time.perf_counter()
loader = importlib.machinery.SourceFileLoader('debsecan', '/usr/bin/debsecan')
spec = importlib.util.spec_from_loader('debsecan', loader)
debsecan = importlib.util.module_from_spec(spec)
loader.exec_module(debsecan)
import_s = time.perf_counter() - t_import

suite, source, files = sys.argv[1], sys.argv[2], sys.argv[3:]
sys.argv = ['debsecan', '--suite', suite, '--source', source, '--format', 'simple', '--status', '/dev/null']
options, config, _args = debsecan.parse_cli()

t0 = time.perf_counter()
vulns = debsecan.fetch_data(options, config)
load_s = time.perf_counter() - t0


class Collect(debsecan.Target):
    def __init__(self):
        self.lines = []

    def write(self, line):
        self.lines.append(line)


results = []
for f in files:
    options.status = f
    target = Collect()
    t = time.perf_counter()
    debsecan.rate_system(target, options, vulns, None)
    results.append({'file': f, 's': time.perf_counter() - t, 'lines': target.lines})

json.dump({'import_s': import_s, 'load_s': load_s, 'python': sys.version.split()[0], 'hosts': results}, sys.stdout)
