#!/usr/bin/env python3
"""Convert every episode timeline in data/episodes/ into a country scenario.

    python3 validation/episodes_to_scenarios.py           # writes data/episodes/scenarios/<ID>.toml
    python3 validation/episodes_to_scenarios.py --check   # exit 1 if a committed file differs

One set of rules, applied identically to every file named like `UKR-2004.yaml`
(schema: data/episodes/README.md). Only `inputs` (and `window`) become inputs;
`record` becomes `[[criteria]]` only. The output is a pure function of the YAML
files and of the shared model's `[police] deployable_share`, so it is
deterministic and idempotent. The rules (also in docs/episodes.md, "Training
episodes (converted by rule)"):

Inputs
  R1  regions: one `[[regions]]` per `inputs.regions` entry, same name and
      population, `capital = true` on the capital, its `source` kept.
  R2  police: `[police] per_100k = inputs.police_per_100k`. When null: the median
      of the non-null values over all episodes (flagged in a comment).
  C1  constituencies: `opposition` (share s = opposition_share, approval 0) and
      `others` (share 1 - s, approval min(1, a / (1 - s)), a = inputs.approval).
      When s or a is null: the median of the non-null values over all episodes
      (flagged in a comment).
  C2  a price_rise trigger with a non-null `affected_share` g adds a group
      `trigger-group` (share g, approval 0), taken out of `others`.
  C3  `regional_opposition` values -> that region's
      `shares = {opposition = x, others = 1 - x}` (minus g for the trigger group).
  Calendar: start/end = `window`, step_hours = 12, seed = the start year.
  Scale (people per agent): the smallest of 1, 2, 5, 10, 20, 50, 100, ... with at
      most 150,000 citizens in all; if the capital then has fewer than 10 police
      agents (population * per_100k/1e5 * deployable_share / scale, rounded), the
      next finer value is taken while the citizens stay at most 200,000.
  Dates: an action dated YYYY-MM-DD fires at 12:00 that day; one with only a month
      (YYYY-MM), or outside the window, is written as a comment and skipped.
  Trigger (one event at trigger.date, all regions and constituencies):
      election_fraud -> sham_election; price_rise -> hardship_shock with
      price_rise_percent = trigger.size (on the trigger group if C2 applies;
      skipped if the size is null); legislation, policy_uturn,
      arrest_or_killing, other -> legitimacy_shock. Sizes come from the model's
      [rules] (rule E, P of docs/episodes.md).
  Actions (`where: [national]`, or a list containing it, = all regions):
      lethal_force -> lethal_force, force live_fire and snipers -> live_fire,
        shoot_to_kill_order -> shoot_to_kill; lethal_force_end -> lethal_force_end;
      less_lethal_dispersal -> crackdown; mass_detention -> mass_detention;
      torture -> torture; emergency, emergency_end -> the same;
      curfew -> emergency (the format has no curfew kind; an emergency adds
        police and lengthens jail terms, as a curfew's street policing does);
      internet_shutdown: extent national -> national; mobile_only, social_media
        -> mobile; regional (outages or throttling in named regions) -> mobile in
        the `where` regions; internet_restore -> internet_restore;
      concession (any kind) -> concession; foreign_troops_in/out -> the same with
        `troops`.
      Skipped as comments: election (the schema does not say whether the result
      was disbelieved, the condition of rule E; an election on the trigger date is
      the trigger itself), foreign_support and other (no model counterpart).
  Every event carries `source` (plus `also`) and `note` (the description, the
  file's note, and "(uncertain)" when flagged).

Criteria (from `record`; a null value is skipped)
  outcome: ruler_fell -> collapsed, regime_held -> suppressed|conceded (the
      ruler stayed and the street protest ended, with or without concessions),
      concessions_only -> conceded (its date is not checked).
  peak_size (national; capital from peak_capital) and killed_between (deaths),
      detained_between (detained): min = low, max = high; a missing bound is the
      nearest known number (value, else the other bound) / 2 or x 2.
  peak_between: the peak's full date, within a day either side.
  starts_in: onset date within a day, in the one region the onset's `place`
      names (skipped if it names none or several); share 0.001 of the region.
  quiet_by: under 5% of the peak from 7 days after the record's `end`
      (skipped if that is after the window).
"""

import datetime as dt
import glob
import json
import os
import re
import statistics
import sys
import textwrap
import tomllib

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EPISODES = os.path.join(ROOT, "data", "episodes")
OUT = os.path.join(EPISODES, "scenarios")
MODEL = os.path.join(ROOT, "crates", "unrest-scenario", "models", "script.toml")

LADDER = [m * 10**e for e in range(0, 7) for m in (1, 2, 5)]
TARGET_CITIZENS, HARD_CAP, MIN_CAPITAL_POLICE = 150_000, 200_000, 10
STEP_HOURS = 12
ONSET_SHARE, QUIET_SHARE, QUIET_AFTER_DAYS = 0.001, 0.05, 7

TRIGGER_KIND = {
    "election_fraud": "sham_election",
    "price_rise": "hardship_shock",
    "legislation": "legitimacy_shock",
    "policy_uturn": "legitimacy_shock",
    "arrest_or_killing": "legitimacy_shock",
    "other": "legitimacy_shock",
}
FORCE = {"live_fire": "live_fire", "snipers": "live_fire", "shoot_to_kill_order": "shoot_to_kill"}
EXTENT = {"national": "national", "mobile_only": "mobile", "social_media": "mobile", "regional": "mobile"}
SAME = {"lethal_force_end", "mass_detention", "torture", "emergency", "emergency_end",
        "internet_restore", "concession", "foreign_troops_in", "foreign_troops_out"}
SKIP_WHY = {
    "election": "the schema does not say whether the result was disbelieved (rule E)",
    "foreign_support": "no model counterpart (only deployed troops are an input)",
    "other": "no model counterpart",
}
OUTCOME = {"ruler_fell": "collapsed", "regime_held": "suppressed|conceded", "concessions_only": "conceded"}


def episode_files():
    names = sorted(os.listdir(EPISODES))
    return [os.path.join(EPISODES, n) for n in names if re.fullmatch(r"[A-Z]{3}-\d{4}\.yaml", n)]


def val(x):
    return x.get("value") if isinstance(x, dict) else None


def fallbacks(episodes):
    """Median of the non-null values over all episodes, per fallback input."""
    out = {}
    for key in ("police_per_100k", "approval", "opposition_share"):
        vals = [val(e["inputs"].get(key)) for e in episodes]
        out[key] = statistics.median(v for v in vals if v is not None)
    return out


def s(text):
    return json.dumps(str(text), ensure_ascii=False)


def num(x):
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(round(x, 4)) if isinstance(x, float) else str(x)


def comment(text, width=96):
    text = " ".join(str(text).split())
    return ["# " + line for line in textwrap.wrap(text, width)] or ["#"]


def when(date):
    """Event time for an action date, or None for a month-only date."""
    date = str(date)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", date):
        return date
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        return date + "T12:00"
    return None


def day(date):
    return dt.date.fromisoformat(str(date)) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(date)) else None


def choose_scale(population, capital_pop, per_100k, deployable):
    cops = lambda sc: round(capital_pop * per_100k / 1e5 * deployable / sc)
    i = next(i for i, sc in enumerate(LADDER) if round(population / sc) <= TARGET_CITIZENS)
    if cops(LADDER[i]) < MIN_CAPITAL_POLICE and i > 0 and round(population / LADDER[i - 1]) <= HARD_CAP:
        i -= 1
    return LADDER[i], cops(LADDER[i])


def bounds(rec):
    """(min, max) of a record number: low/high, a missing one from the nearest known number /2 or x2."""
    v, lo, hi = rec.get("value"), rec.get("low"), rec.get("high")
    if v is None and lo is None and hi is None:
        return None
    lo = lo if lo is not None else (v if v is not None else hi) / 2
    hi = hi if hi is not None else (v if v is not None else lo) * 2
    return lo, hi


def convert(ep, fb, deployable):
    eid, inp, rec, win = ep["id"], ep["inputs"], ep["record"], ep["window"]
    regions = inp["regions"]
    names = [r["name"] for r in regions]
    capital = next(r for r in regions if r.get("capital"))
    total = sum(r["population"] for r in regions)
    start, end = dt.date.fromisoformat(win["start"]), dt.date.fromisoformat(win["end"])
    L = []
    fell_back = []

    def given(key):
        v = val(inp.get(key))
        if v is None:
            fell_back.append(key)
            return fb[key], True
        return v, False

    police, police_fb = given("police_per_100k")
    s_opp, opp_fb = given("opposition_share")
    a, appr_fb = given("approval")
    scale, cap_cops = choose_scale(total, capital["population"], police, deployable)

    L += [f"# {eid}: {ep['name']} ({ep['country']}).",
          f"# GENERATED by validation/episodes_to_scenarios.py from data/episodes/{eid}.yaml;",
          "# do not edit: change the converter (rules in its docstring and in docs/episodes.md).",
          "# Inputs only from `inputs`; the record feeds the [[criteria]] at the end.",
          f"# Inputs that were null and fell back to the median of the episodes: {', '.join(fell_back) or 'none'}.",
          "",
          'kind = "country"',
          f"name = {s(eid)}",
          f"description = {s(ep['name'] + ', ' + ep['country'] + ' (converted by rule)')}",
          'model = "script"',
          f"seed = {start.year}",
          f"# Scale rule: {round(total / scale):,} citizens; {cap_cops} police agents in the capital"
          + (" (under 10: a finer scale would exceed 200,000 citizens)." if cap_cops < MIN_CAPITAL_POLICE else "."),
          f"scale = {scale}",
          'preset = "epstein"',
          "",
          "[calendar]",
          f"start = {s(win['start'])}",
          f"end = {s(win['end'])}",
          f"step_hours = {STEP_HOURS}",
          ""]

    # Constituencies (C1, C2) and regional shares (C3).
    trig = inp["trigger"]
    g = val(trig.get("affected_share")) if trig["kind"] == "price_rise" else None
    others = 1.0 - s_opp - (g or 0.0)
    regopp = {k: v for k, v in (inp.get("regional_opposition") or {}).items() if k in names}
    for r in regions:
        L += ["[[regions]]", f"name = {s(r['name'])}", f"population = {r['population']}"]
        if r.get("capital"):
            L.append("capital = true")
        if r["name"] in regopp:
            x = regopp[r["name"]]
            parts = [f"opposition = {num(float(x))}"]
            if g:
                parts.append(f'"trigger-group" = {num(float(g))}')
            parts.append(f"others = {num(max(0.0, 1.0 - x - (g or 0.0)))}")
            L.append("shares = { " + ", ".join(parts) + " }")
        if r.get("source"):
            L.append(f"source = {s(r['source'])}")
    L.append("")
    if regopp:
        L += comment(f"C3: regional opposition shares from inputs.regional_opposition ({inp['regional_opposition'].get('source', '')}).")
    L += comment(f"C1: opposition share {num(s_opp)}" + (" (null: median fallback)" if opp_fb else f" = {inp['opposition_share'].get('what', '')}"))
    L += comment(f"C1: approval a = {num(a)}" + (" (null: median fallback)" if appr_fb else f" ({inp['approval'].get('what', '')}, {inp['approval'].get('year', '')})")
                 + f"; others' approval = min(1, a / {num(round(1 - s_opp, 4))}).")
    L += ["[[constituencies]]", 'name = "opposition"', f"share = {num(round(s_opp, 4))}", "approval = 0.0"]
    if g:
        L += comment("C2: the share directly hit by the price rise (trigger.affected_share).")
        L += ["[[constituencies]]", 'name = "trigger-group"', f"share = {num(round(g, 4))}", "approval = 0.0"]
    L += ["[[constituencies]]", 'name = "others"', f"share = {num(round(others, 4))}",
          f"approval = {num(round(min(1.0, a / (1.0 - s_opp)), 4))}", ""]

    L += ["[police]"]
    if police_fb:
        L += comment(f"R2: police_per_100k is null; fallback = {num(float(police))}, the median of the episodes' non-null values.")
    else:
        pp = inp["police_per_100k"]
        L += comment(f"R2: {pp.get('what', '')} ({pp.get('year', '')}; {pp.get('source', '')})"
                     + ("; uncertain" if pp.get("uncertain") else ""))
    L += [f"per_100k = {num(float(police))}", ""]

    if any(x["kind"] in ("foreign_troops_in", "foreign_troops_out") for x in inp["actions"]):
        L += ["[foreign]", 'name = "foreign troops"', ""]

    # Events: the trigger, then the actions, in time order (stable).
    L += ["# ---- dated inputs: the trigger and the regime's actions -------------------", ""]
    items = []  # (time or "", lines)

    def event(at, kind, where, keys, x):
        ev = ["[[events]]", f"at = {s(at)}", f"kind = {s(kind)}"]
        regs = [w for w in (where or ["national"])]
        if "national" not in regs:
            unknown = [w for w in regs if w not in names]
            if unknown:
                raise SystemExit(f"{eid}: unknown region(s) {unknown} in an action")
            ev.append("regions = [" + ", ".join(s(w) for w in regs) + "]")
        for k, v in keys:
            ev.append(f"{k} = {v}")
        note = " ".join(str(x.get("description", "")).split())
        if x.get("note"):
            note += f" [{' '.join(str(x['note']).split())}]"
        if x.get("uncertain"):
            note += " (uncertain)"
        src = str(x.get("source", "")) + (f"; also {x['also']}" if x.get("also") else "")
        ev += [f"note = {s(note)}", f"source = {s(src)}"]
        return ev

    def skipped(x, why):
        return comment(f"SKIPPED {x.get('date')} {x['kind']}: {why}. {x.get('description', '')}") 

    def in_window(at):
        return start <= dt.date.fromisoformat(at[:10]) <= end

    tat = when(trig["date"])
    tkind = TRIGGER_KIND[trig["kind"]]
    tx = dict(trig, description=f"Trigger ({trig['kind']}): {trig.get('description', '')}")
    if tkind == "hardship_shock":
        size = val(trig.get("size"))
        if size is None:
            items.append((tat, skipped(dict(tx, kind="trigger"), "a price rise of unknown size")))
        else:
            cons = [("constituencies", '["trigger-group"]')] if g else []
            items.append((tat, event(tat, tkind, None, cons + [("price_rise_percent", num(float(size)))], tx)))
    else:
        items.append((tat, event(tat, tkind, None, [], tx)))

    for x in inp["actions"]:
        at, k = when(x["date"]), x["kind"]
        if at is None:
            items.append(("", skipped(x, "only the month is known")))
            continue
        if not in_window(at):
            items.append((at, skipped(x, "outside the window")))
            continue
        if k in SKIP_WHY:
            why = "the trigger itself" if k == "election" and at == tat else SKIP_WHY[k]
            items.append((at, skipped(x, why)))
            continue
        keys = []
        if k == "lethal_force":
            kind, keys = "lethal_force", [("force", s(FORCE[x["force"]]))]
        elif k == "less_lethal_dispersal":
            kind = "crackdown"
        elif k == "curfew":
            kind = "emergency"
            x = dict(x, description="Curfew (mapped to emergency). " + str(x.get("description", "")))
        elif k == "internet_shutdown":
            kind, keys = "internet_shutdown", [("extent", s(EXTENT[x["extent"]]))]
        elif k in SAME:
            kind = k
            if k.startswith("foreign_troops") and x.get("troops") is not None:
                keys = [("troops", num(x["troops"]))]
        else:
            raise SystemExit(f"{eid}: action kind {k!r} has no rule")
        items.append((at, event(at, kind, x.get("where"), keys, x)))
    # Month-only comments sort first (key ""), the rest by time; ties keep file order.
    for _, lines in sorted(items, key=lambda it: it[0]):
        L += lines + [""]

    L += ["# ---- criteria: the record (outcomes), never inputs -----------------------", ""]
    L += criteria(rec, names, capital, win, start, end)
    return "\n".join(L).rstrip("\n") + "\n"


def criteria(rec, names, capital, win, start, end):
    C = []

    def crit(check, label, *kv):
        C.extend(["[[criteria]]", f"check = {s(check)}", f"label = {s(label)}"]
                 + [f"{k} = {v}" for k, v in kv] + [""])

    out = val(rec.get("outcome"))
    if out:
        crit("outcome", f"outcome {OUTCOME[out]} (record: {out}, {rec['outcome'].get('date', '')})",
             ("outcome", s(OUTCOME[out])))
    for key, region, who in (("peak_national", None, "national"), ("peak_capital", "capital", capital["name"])):
        r = rec.get(key) or {}
        b = bounds(r)
        reg = [("region", '"capital"')] if region else []
        if b:
            if region and b[0] > capital["population"]:
                C.extend(comment(f"The record's lower bound {b[0]:,.0f} exceeds the capital's population "
                                 f"{capital['population']:,}: a lattice of residents cannot meet it."))
            C.extend(comment(f"Record {key}: {r.get('what', '')}" + (" (uncertain)" if r.get("uncertain") else "")))
            crit("peak_size", f"{who} peak {b[0]:,.0f}-{b[1]:,.0f} (record)",
                 *reg, ("min", num(float(b[0]))), ("max", num(float(b[1]))))
        d = day(r.get("date", ""))
        if d and start <= d <= end:
            crit("peak_between", f"{who} peak on {d}, within a day", *reg,
                 ("from", s(str(d - dt.timedelta(days=1)))), ("to", s(f"{d + dt.timedelta(days=1)}T23:59")))
    for key, check in (("deaths", "killed_between"), ("detained", "detained_between")):
        b = bounds(rec.get(key) or {})
        if b:
            crit(check, f"{key} {b[0]:,.0f}-{b[1]:,.0f} (record)", ("min", num(float(b[0]))), ("max", num(float(b[1]))))
    on = rec.get("onset") or {}
    d = day(on.get("date", ""))
    if d:
        place = str(on.get("place", ""))
        hit = [n for n in names if re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", place)]
        if len(hit) == 1 and start <= d <= end:
            crit("starts_in", f"onset in {hit[0]} on {d}, within a day", ("region", s(hit[0])),
                 ("share", num(ONSET_SHARE)), ("from", s(str(d - dt.timedelta(days=1)))),
                 ("to", s(f"{d + dt.timedelta(days=1)}T23:59")))
        else:
            C.extend(comment(f"No starts_in: the onset place {place!r} names {len(hit)} regions (rule: exactly one)."))
            C.append("")
    e = day((rec.get("end") or {}).get("date", ""))
    if e:
        by = e + dt.timedelta(days=QUIET_AFTER_DAYS)
        if by <= end:
            crit("quiet_by", f"under 5% of the peak from {by} (record end {e} + {QUIET_AFTER_DAYS} days)",
                 ("by", s(str(by))), ("share", num(QUIET_SHARE)))
        else:
            C.extend(comment(f"No quiet_by: the record's end {e} + {QUIET_AFTER_DAYS} days is after the window."))
            C.append("")
    return C


def main():
    check = "--check" in sys.argv[1:]
    deployable = tomllib.load(open(MODEL, "rb"))["police"]["deployable_share"]
    episodes = [yaml.safe_load(open(f, encoding="utf-8")) for f in episode_files()]
    fb = fallbacks(episodes)
    os.makedirs(OUT, exist_ok=True)
    stale = []
    for ep in episodes:
        path = os.path.join(OUT, ep["id"] + ".toml")
        text = convert(ep, fb, deployable)
        old = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if old != text:
            stale.append(path)
            if not check:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
    if check:
        for p in stale:
            print(f"differs: {os.path.relpath(p, ROOT)}")
        sys.exit(1 if stale else 0)
    print(f"{len(episodes)} episodes; fallbacks {fb}; {len(stale)} files written")


if __name__ == "__main__":
    main()
