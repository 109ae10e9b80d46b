import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseZoneFile } from '../../src/zone/parse.js';
import { formatProblem, ZoneFileError } from '../../src/zone/problem.js';

const HEAD = '[domain]\ndomain = "example.com"\n';
const WEB = '[[health_checks]]\nname = "web"\ntype = "http"\n';

function problems(text: string): string[] {
  try {
    parseZoneFile(text, 'example.com.toml', 'example.com.toml');
  } catch (e) {
    assert.ok(e instanceof ZoneFileError);
    return e.problems.map(formatProblem);
  }
  return [];
}

/** A bad input and what its one problem says: where (file:line, record or check, field) and what to write. */
const BAD: [string, string, RegExp][] = [
  ['check without a name', '[[health_checks]]\ntype = "tcp"\nport = 25\n', /^example\.com\.toml:\d+: \[\[health_checks\]\] 1: name: missing; a check needs name = "web"/],
  ['unknown check type', '[[health_checks]]\nname = "x"\ntype = "icmp"\n', /:5: \[\[health_checks\]\] 1: type: "icmp" is not a check type; write type = "http", "https" or "tcp"/],
  ['tcp check without a port', '[[health_checks]]\nname = "x"\ntype = "tcp"\n', /\[\[health_checks\]\] 1: port: missing; a tcp check needs the port/],
  ['port out of range', '[[health_checks]]\nname = "x"\ntype = "tcp"\nport = 70000\n', /:6: \[\[health_checks\]\] 1: port: 70000 is not a whole number from 1 to 65535; write e\.g\. port = 80/],
  ['port 0', '[[health_checks]]\nname = "x"\ntype = "http"\nport = 0\n', /port: 0 is not a whole number from 1 to 65535/],
  ['path on a tcp check', '[[health_checks]]\nname = "x"\ntype = "tcp"\nport = 1\npath = "/"\n', /path: a tcp check has no path/],
  ['path without a slash', `${WEB}path = "healthz"\n`, /path: "healthz" is not a request path/],
  ['bad host', `${WEB}host = "a b"\n`, /host: "a b" is not a host name/],
  ['bad expect', `${WEB}expect = [200, 700]\n`, /expect: \[200,700\] is not a list of HTTP status codes/],
  ['interval too short', `${WEB}interval = 0.01\n`, /interval: 0\.01 is not a number of seconds from 0\.1 to 3600/],
  ['timeout above interval', `${WEB}interval = 1\ntimeout = 2\n`, /timeout: 2 s is longer than the interval \(1 s\)/],
  ['rise of 0', `${WEB}rise = 0\n`, /rise: 0 is not a whole number from 1 to 10/],
  ['bad fail mode', `${WEB}fail = "shut"\n`, /fail: "shut" is not a failure mode; write fail = "open"/],
  ['unknown check field', `${WEB}retries = 3\n`, /\[\[health_checks\]\] 1: retries: unknown field/],
  ['two checks of one name', `${WEB}${WEB}`, /\[\[health_checks\]\] 2: name: "web" is already the name of another check/],
  ['a record naming a check with a problem of its own (reported once, at the check)', '[[health_checks]]\nname = "x"\ntype = "tcp"\nport = 0\n[[records]]\ndomain = "www"\naddress = "192.0.2.1"\nhealth_check = "x"\n', /:6: \[\[health_checks\]\] 1: port: 0 is not a whole number/],
  ['unknown check name', `${WEB}[[records]]\ndomain = "www"\naddress = "192.0.2.1"\nhealth_check = "wbe"\n`, /:9: record 1: health_check: no \[\[health_checks\]\] entry is named "wbe"; the checks here are "web"/],
  ['health check on a CNAME', `${WEB}[[records]]\ndomain = "www"\ntype = "CNAME"\naddress = "a.example.com."\nhealth_check = "web"\n`, /record 1: health_check: a CNAME record has no health_check; health checks and failover are for A and AAAA records/],
  ['failover on an MX', '[[records]]\ntype = "MX"\naddress = "a.example.com."\nfailover = "secondary"\n', /record 1: failover: a MX record has no failover/],
  ['bad failover role', '[[records]]\ndomain = "www"\naddress = "192.0.2.1"\nfailover = "backup"\n', /record 1: failover: "backup" is not a failover role; write failover = "secondary"/],
  ['DNS name as check_address', `${WEB}[[records]]\ndomain = "www"\naddress = "192.0.2.1"\nhealth_check = "web"\ncheck_address = "web.example.com"\n`, /record 1: check_address: "web\.example\.com" is not an IP address; probes go to addresses only/],
  ['check_address without a check', '[[records]]\ndomain = "www"\naddress = "192.0.2.1"\ncheck_address = "192.0.2.2"\n', /record 1: check_address: .* this record has no health_check/],
  ['health_ttl not a number', '[defaults]\nhealth_ttl = "short"\n', /\[defaults\] health_ttl: "short" is not a whole number from 0 to 2147483647; write e\.g\. health_ttl = 30/],
  ['one address twice in a checked RRset', `${WEB}[[records]]\ndomain = "www"\naddress = "192.0.2.1"\nhealth_check = "web"\n[[records]]\ndomain = "www"\naddress = "192.0.2.1"\n`, /record 2: address: www\.example\.com\. has this address already \(record 1\)/],
  ['nine checked records in one RRset', WEB + Array.from({ length: 9 }, (_, i) => `[[records]]\ndomain = "www"\naddress = "192.0.2.${i + 1}"\nhealth_check = "web"\n`).join(''), /record 1: health_check: www\.example\.com\. has 9 health-checked records of this type; at most 8/],
];

describe('zone files: health checks', () => {
  for (const [what, body, expected] of BAD) {
    it(`rejects ${what}`, () => {
      const found = problems(HEAD + body);
      assert.equal(found.length, 1, found.join('\n'));
      assert.match(found[0], expected);
    });
  }

  it('reads a check with its defaults, fractional intervals, and the records that use it', () => {
    const parsed = parseZoneFile(`${HEAD}[defaults]\nhealth_ttl = 10\n${WEB}interval = 0.2\n[[records]]\ndomain = "www"\naddress = "2001:DB8:0::1"\ntype = "AAAA"\nhealth_check = "web"\n[[records]]\ndomain = "www"\ntype = "AAAA"\naddress = "2001:db8::2"\nfailover = "secondary"\nttl = 5\n`, 'example.com.toml', 'example.com.toml');
    assert.ok(parsed.active);
    assert.deepEqual(parsed.zone.healthChecks?.get('web'), {
      name: 'web', type: 'http', port: 80, path: '/', interval: 0.2, timeout: 0.2, rise: 2, fall: 3, fail: 'open',
    });
    const [a, b] = parsed.zone.records;
    assert.deepEqual(a.health, { check: { name: 'web', address: '2001:db8::1' }, secondary: false });
    assert.deepEqual(b.health, { secondary: true });
    assert.deepEqual([a.ttl, b.ttl], [10, 5], 'health_ttl caps the TTL, a lower one stays');
  });
});
