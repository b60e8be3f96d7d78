"""FI-TF-* findings: a template's namespaces, grants and workload identities against a plan."""

from __future__ import annotations

import fnmatch

from intent.check.findings import FI_TF_001, FI_TF_002, FI_TF_003, RULES, Finding, Severity
from intent.model import PSA_MODES, Level
from intent.plan import PSA_PREFIX, ClusterPlan, Grant
from intent.check.terraform.expect import Target
from intent.check.terraform.hclvalues import Expr
from intent.check.terraform.objects import LEVEL_RANK, Extracted, Source, TfGrant, TfNamespace, Unevaluated, principal_key

_LEVELS = {level.value for level in Level}


def make_finding(
    rule: str,
    target: Target,
    provider: str | None,
    namespace: str | None,
    source: Source,
    expected: str | None,
    actual: str | None,
    message: str,
    team: str | None,
    severity: Severity | None = None,
    obj: str | None = None,
) -> Finding:
    """A finding routed to `team`'s first owner (the org owner when None)."""
    return Finding(
        rule=rule,
        severity=severity or RULES[rule].severity,
        cluster=target.cluster,
        provider=provider,
        namespace=namespace,
        object=obj or source.object,
        expected=expected,
        actual=actual,
        message=message,
        team=team,
        owner=target.plan.owner_of(team),
        remediation=RULES[rule].remediation,
        file=source.file,
        line=source.line,
    )


def unevaluated_finding(item: Unevaluated, target: Target) -> Finding:
    """An info finding saying which expression was not compared, and where."""
    return make_finding(
        item.rule,
        target,
        item.provider or (target.plan.provider if target.matched else None),
        item.namespace,
        item.source,
        None,
        item.expr,
        f"cannot evaluate {item.expr}: the {item.what} of {item.source.object} is not a literal, so it was not "
        "compared with the intent; check it by hand or write the value literally",
        None,
        Severity.INFO,
    )


def _psa_text(labels: dict, modes=PSA_MODES) -> str:
    parts = []
    for mode in modes:
        value = labels.get(f"{PSA_PREFIX}{mode}")
        parts.append(f"{mode}={value if isinstance(value, str) else '<none>'}")
    version = labels.get(f"{PSA_PREFIX}enforce-version")
    parts.append(f"version={version if isinstance(version, str) else '<none>'}")
    return " ".join(parts)


def compare_namespaces(ext: Extracted, target: Target) -> list[Finding]:
    """FI-TF-001 for managed namespaces with missing/weaker/other-version PSA labels; FI-TF-003 for absent ones."""
    findings: list[Finding] = []
    provider = target.plan.provider if target.matched else None
    for ns in ext.namespaces:
        planned = target.plan.namespace(ns.name)
        if planned is None:
            continue  # not a namespace the intent manages here
        computed_key = next((k for k in ns.labels if isinstance(k, Expr)), None) if isinstance(ns.labels, dict) else None
        if isinstance(ns.labels, Expr) or not isinstance(ns.labels, dict) or computed_key is not None:
            # A computed key may be a PSA label, so nothing can be said about the others' absence.
            expr = (computed_key or ns.labels).text if isinstance(computed_key or ns.labels, Expr) else str(ns.labels)
            item = Unevaluated(expr, "labels", FI_TF_001, ns.source, None, ns.name)
            findings.append(unevaluated_finding(item, target))
            continue
        problems = _label_problems(ns, planned.pod_security, target, findings)
        if not problems:
            continue
        want = planned.pod_security
        expected = f"enforce={want.enforce.value} audit={want.audit.value} warn={want.warn.value} version={want.version}"
        findings.append(
            make_finding(
                FI_TF_001,
                target,
                provider,
                ns.name,
                ns.source,
                expected,
                _psa_text(ns.labels),
                f"{ns.source.address} creates namespace {ns.name} with PSA labels missing or weaker than intended: "
                + "; ".join(problems),
                planned.team,
            )
        )
    if target.matched and ext.namespaces and "namespaces" not in ext.incomplete:
        present = {ns.name for ns in ext.namespaces}
        where = ext.namespaces[0].source
        for planned in target.plan.namespaces:
            if planned.name in present:
                continue
            findings.append(
                make_finding(
                    FI_TF_003,
                    target,
                    provider,
                    planned.name,
                    Source(where.address, where.file, where.line),
                    f"namespace {planned.name}",
                    "absent",
                    f"the template for {target.cluster} creates namespaces but not {planned.name} "
                    f"(team {planned.team}), which the intent declares for this cluster",
                    planned.team,
                    obj=f"Namespace/{planned.name}",
                )
            )
    return findings


def _label_problems(ns: TfNamespace, want, target: Target, findings: list[Finding]) -> list[str]:
    problems: list[str] = []
    for mode in PSA_MODES:
        key = f"{PSA_PREFIX}{mode}"
        have, wanted = ns.labels.get(key), want.level(mode)
        if isinstance(have, Expr):
            findings.append(unevaluated_finding(Unevaluated(have.text, f"label {key}", FI_TF_001, ns.source, None, ns.name), target))
        elif have is None:
            problems.append(f"{mode} missing (want {wanted.value})")
        elif have not in _LEVELS:
            problems.append(f"{mode} {have!r} is not a PSA level (want {wanted.value})")
        elif Level(have).weaker_than(wanted):
            problems.append(f"{mode} {have} is weaker than {wanted.value}")
        version = ns.labels.get(f"{key}-version")
        if isinstance(version, Expr):
            findings.append(
                unevaluated_finding(Unevaluated(version.text, f"label {key}-version", FI_TF_001, ns.source, None, ns.name), target)
            )
        elif version is None:
            if want.version != "latest":  # an absent version label means latest
                problems.append(f"{mode}-version missing (want {want.version})")
        elif version != want.version:
            problems.append(f"{mode}-version {version} differs from {want.version}")
    return problems


def _describe(level: str | None, scope: str, namespaces, via: str) -> str:
    what = level or f"access through {via}"
    if scope == "cluster":
        return f"{what} cluster-wide"
    return f"{what} in {', '.join(namespaces)}"


def _describe_expected(grants: list[Grant]) -> str:
    return "; ".join(_describe(g.level, g.scope, g.namespaces, "") for g in grants) or "no access"


def _allowed(expected: list[Grant], namespace: str | None) -> int:
    """The highest level rank the intent gives in `namespace` (None: cluster-wide); -1 for none."""
    best = -1
    for grant in expected:
        if grant.scope == "cluster" or (namespace is not None and namespace in grant.namespaces):
            best = max(best, LEVEL_RANK[grant.level])
    return best


def _team_of_namespaces(plan: ClusterPlan, namespaces) -> str | None:
    teams = {plan.namespace(n).team for n in namespaces if plan.namespace(n) is not None}
    return teams.pop() if len(teams) == 1 else None


def _relevant_namespaces(plan: ClusterPlan, namespaces) -> list[str]:
    """The namespaces (or wildcard patterns) of a grant that touch namespaces the intent manages."""
    managed = [ns.name for ns in plan.namespaces]
    return [n for n in namespaces if n in managed or ("*" in n and fnmatch.filter(managed, n))]


def compare_grant(grant: TfGrant, target: Target) -> Finding | None:
    """FI-TF-002 when a template grant is undeclared or broader than the intent allows."""
    plan = target.plan
    expected = [g for g in plan.grants if principal_key(g.principal) == grant.key]
    namespaces = _relevant_namespaces(plan, grant.namespaces) if grant.scope == "namespace" else []
    if grant.scope == "namespace" and not namespaces:
        return None  # only namespaces the intent does not manage
    actual = f"{grant.principal}: {_describe(grant.level, grant.scope, namespaces or grant.namespaces, grant.via)}"
    team = next((g.team for g in expected if g.team), None) or (
        _team_of_namespaces(plan, namespaces) if namespaces else None
    )
    namespace = namespaces[0] if len(namespaces) == 1 and "*" not in namespaces[0] else None
    if grant.via == "group system:masters":
        message = (
            f"{grant.source.object} maps {grant.principal} to system:masters: cluster-admin that no RBAC binding "
            "can revoke; fleet-intent grants cluster-admin only to clusterAccess cluster-admin principals, and "
            "never through system:masters"
        )
    elif not expected:
        if grant.level == "cluster-admin":
            message = f"{grant.source.object} gives cluster-admin to {grant.principal}, which is not in clusterAccess cluster-admin"
        else:
            message = f"{grant.source.object} gives {grant.principal} access the intent does not declare ({grant.via})"
    elif grant.level is None:
        return None  # a declared principal in a group whose rights the template does not show
    else:
        rank = LEVEL_RANK[grant.level]
        if grant.scope == "cluster":
            broader = rank > _allowed(expected, None)
        else:
            broader = any(rank > (_allowed(expected, None) if "*" in n else _allowed(expected, n)) for n in namespaces)
        if not broader:
            return None
        message = (
            f"{grant.source.object} gives {grant.principal} {_describe(grant.level, grant.scope, namespaces, grant.via)} "
            f"({grant.via}), broader than the intent's {_describe_expected(expected)}"
        )
    return make_finding(
        FI_TF_002,
        target,
        grant.provider,
        namespace,
        grant.source,
        _describe_expected(expected) if expected else "no access",
        actual,
        message,
        team,
    )


def missing_grants(observed: list[TfGrant], target: Target, provider: str, where: Source) -> list[Finding]:
    """FI-TF-003 for each intended grant the template's grants of `provider` do not cover."""
    findings: list[Finding] = []
    for expected in target.plan.grants:
        key = principal_key(expected.principal)
        mine = [g for g in observed if g.key == key and g.level is not None]
        need = LEVEL_RANK[expected.level]
        cluster_rank = max((LEVEL_RANK[g.level] for g in mine if g.scope == "cluster"), default=-1)
        if expected.scope == "cluster":
            uncovered = [] if cluster_rank >= need else ["cluster-wide"]
        else:
            uncovered = [
                n
                for n in expected.namespaces
                if cluster_rank < need
                and not any(
                    g.scope == "namespace" and LEVEL_RANK[g.level] >= need and any(fnmatch.fnmatchcase(n, p) for p in g.namespaces)
                    for g in mine
                )
            ]
        if not uncovered:
            continue
        scope = "cluster-wide" if expected.scope == "cluster" else f"in {', '.join(uncovered)}"
        findings.append(
            make_finding(
                FI_TF_003,
                target,
                provider,
                uncovered[0] if expected.scope == "namespace" and len(uncovered) == 1 else None,
                where,
                f"{expected.principal}: {expected.level} {scope}",
                "absent",
                f"the template for {target.cluster} manages {provider} access but does not give {expected.principal} "
                f"{expected.level} {scope}, as the intent declares",
                expected.team,
                obj=f"Grant/{expected.principal}",
            )
        )
    return findings
