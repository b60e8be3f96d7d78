"""GKE adoption: which project IAM members, Workload Identity members and Kubernetes objects
of a cluster's root already exist, with the hashicorp/google import ids.

Import ids (terraform-provider-google, website/docs/r/google_project_iam.html.markdown and
google_service_account_iam.html.markdown, "Import"; the importer is `iamMemberImport` in
google/tpgiamresource/resource_iam_member.go):
- `google_project_iam_member`: `"<project> <role> <member>"`;
- `google_service_account_iam_member`: `"projects/<p>/serviceAccounts/<email> <role> <member>"`.
The importer splits the id on whitespace (`strings.Fields`) and re-joins anything past the
member as a condition title; the project, role and member are validated intent values, which
hold no whitespace, so the three-part id names the member without a condition. It then looks
for a binding of that role whose condition title is empty: a member granted only under an IAM
condition is another resource (its id would end in the condition's title, and `condition` is
ForceNew), which the generated, unconditional member neither is nor can take over. Such a
member counts as absent, with a note. `role`, `member` and `condition` are all ForceNew, so an
imported member the intent names is already what the configuration says.

Creating a Google IAM member that already exists is idempotent: `resourceIamMemberCreate`
merges it into the policy (`MergeBindings`), no 409 as with EKS or Azure. Importing still
matters (REFERENCE-2 §2.2): a member that was only "created" over an existing grant is owned
by the root all the same, and `terraform destroy` removes the grant that existed before it.
"""

from __future__ import annotations

from typing import Any

from intent.observe.adoption import AdoptionBuilder, ClusterAdoption
from intent.plan import ClusterPlan
from intent.quoting import quote
from translators import kubernetes_state as k8s
from translators.kubernetes_adopt import adopt_kubernetes
from translators.kubernetes_admission_adopt import adopt_admission

from .observe import PROJECT_IAM, SA_IAM_DIR, WI_ROLE
from .render import cluster_admin_subjects, project_members, rbac_subject, service_accounts, workload_identities

VIEWER_ROLE = "roles/container.clusterViewer"


def adopt_cluster(plan: ClusterPlan, documents: dict[str, Any]) -> ClusterAdoption:
    """The GKE cluster's generated resources that exist (to import) and those apply creates."""
    builder = AdoptionBuilder(plan.name, "gke")
    project = plan.cluster.project
    plain, conditional = policy_members(k8s.document(documents, PROJECT_IAM), PROJECT_IAM, VIEWER_ROLE)
    for item in project_members(plan):
        address = f"google_project_iam_member.{item['address']}"
        member = item["member"]
        _adopt_member(builder, address, f"{project} {VIEWER_ROLE} {member}", f"ProjectIAM/{project}/{VIEWER_ROLE}/{member}",
                      member, plain, conditional, f"project {project}", VIEWER_ROLE)
    for item in workload_identities(plan):
        address = f"google_service_account_iam_member.{item['address']}"
        email = item["service_account_id"].rsplit("/", 1)[-1]
        path = f"{SA_IAM_DIR}{email}.json"
        if path not in documents:
            # The live reader writes no file for a Google service account that does not exist.
            builder.missing(address)
            builder.note(f"{address}: {path} is absent, so the Google service account {email} was not found; "
                         "apply can only create the member once the service account exists")
            continue
        plain, conditional = policy_members(documents[path], path, WI_ROLE)
        member = item["member"]
        _adopt_member(builder, address, f"{item['service_account_id']} {WI_ROLE} {member}",
                      f"ServiceAccountIAM/{email}/{member}", member, plain, conditional, f"service account {email}", WI_ROLE)
    adopt_kubernetes(builder, plan, documents, rbac_subject, service_accounts(plan))
    adopt_admission(builder, plan, documents, cluster_admin_subjects(plan))
    return builder.build()


def _adopt_member(builder: AdoptionBuilder, address: str, import_id: str, obj: str, member: str,
                  plain: set[str], conditional: dict[str, list[str]], on: str, role: str) -> None:
    # The provider matches members case-insensitively (strings.ToLower in import and read), and
    # suppresses a case-only difference in `member`: the intent's spelling imports either.
    key = member.lower()
    if key in plain:
        builder.exists(address, import_id, obj)
        return
    builder.missing(address)
    if key in conditional:
        # Titles come from the snapshot: quoted (escaped, cut short) before they reach a terminal.
        titles = ", ".join(quote(t) for t in conditional[key])
        builder.note(
            f"{address}: {member} holds {role} on {on} only under an IAM condition ({titles}); that conditional "
            "member is another resource, not imported: apply adds the unconditional member beside it"
        )


def policy_members(doc: Any, path: str, role: str) -> tuple[set[str], dict[str, list[str]]]:
    """The members (lower-cased) holding `role` in an IAM policy document (a getIamPolicy
    response): those of an unconditional binding, and those of conditional bindings only, each
    with its conditions' titles."""
    policy = k8s.as_dict(doc, path, "the document")
    plain: set[str] = set()
    conditional: dict[str, list[str]] = {}
    for i, binding in enumerate(k8s.as_list(policy.get("bindings") or [], path, "bindings")):
        binding = k8s.as_dict(binding, path, f"bindings[{i}]")
        if k8s.text(binding.get("role"), path, f"bindings[{i}].role") != role:
            continue
        members = [str(m).lower() for m in k8s.as_list(binding.get("members") or [], path, f"bindings[{i}].members")]
        condition = binding.get("condition")
        condition = {} if condition is None else k8s.as_dict(condition, path, f"bindings[{i}].condition")
        # An empty condition is no condition (conditionKeyFromCondition gives the empty key).
        if not any(condition.get(k) for k in ("title", "expression", "description")):
            plain.update(members)
            continue
        title = str(condition.get("title") or "")
        for m in members:
            conditional.setdefault(m, []).append(title)
    return plain, {m: titles for m, titles in conditional.items() if m not in plain}
