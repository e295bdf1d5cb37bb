"""RBAC with real kubectl over HTTPS: token users from a --token-auth-file, the bootstrap policy,
kube's 403 wording, `kubectl auth can-i` (with --list and --as), a RoleBinding to view, and
escalation prevention.

The server is the default configuration (core and rbac plugins, --authorization-mode RBAC) with
the secure port on and a static token file; admin's token is in system:masters."""

from __future__ import annotations

import json
import time

import pytest
import yaml

from e2e_server import ApiServer, server_config, stop_servers

TOKENS = {
    "admin": ("admin-token", "system:masters"),
    "alice": ("alice-token", ""),
    "bob": ("bob-token", "devs"),
    "carol": ("carol-token", ""),
}

# The chain with authentication in front of authorization, as the secure default has it.
CHAIN = ["panic-recovery", "request-info", "request-log", "timeout", "authentication", "impersonation",
         "max-in-flight", "authorization"]


class SecureRbacServer(ApiServer):
    """An ApiServer whose secure port is on (a free port) with a token file, and one kubeconfig
    per token user (server CA from the generated <data>/pki/ca.crt)."""

    def __init__(self, binary, workdir, config, name):
        super().__init__(binary, workdir, config, name)
        self.token_file = workdir / "tokens.csv"
        self.token_file.parent.mkdir(parents=True, exist_ok=True)
        self.token_file.write_text("".join(
            f'{tok},{user},{i},"{groups}"\n' if groups else f"{tok},{user},{i}\n"
            for i, (user, (tok, groups)) in enumerate(TOKENS.items())))
        self.extra_args = ["--secure-port", "0", "--token-auth-file", str(self.token_file)]
        self.secure_port: int | None = None

    def start(self) -> "SecureRbacServer":
        super().start()
        m = self.wait_for_log(r"Serving securely on 127\.0\.0\.1:(\d+)", what="the secure port")
        self.secure_port = int(m.group(1))
        ca = self.workdir / "data" / "pki" / "ca.crt"
        for user, (tok, _) in TOKENS.items():
            kc = {
                "apiVersion": "v1", "kind": "Config",
                "clusters": [{"name": "secure", "cluster": {
                    "server": f"https://127.0.0.1:{self.secure_port}", "certificate-authority": str(ca)}}],
                "users": [{"name": user, "user": {"token": tok}}],
                "contexts": [{"name": user, "context": {"cluster": "secure", "user": user}}],
                "current-context": user,
            }
            (self.workdir / f"{user}.kubeconfig").write_text(yaml.safe_dump(kc, sort_keys=False))
        return self

    def as_user(self, user: str, *args, check: bool = False, input: str | None = None):
        """kubectl with `user`'s token over HTTPS. Returns (rc, stdout, stderr)."""
        import subprocess
        argv = ["kubectl", f"--kubeconfig={self.workdir / (user + '.kubeconfig')}",
                f"--cache-dir={self.cache_dir}-{user}", *map(str, args)]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=self._env(), input=input)
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} failed:\n{p.stdout}\n{p.stderr}")
        return p.returncode, p.stdout, p.stderr


@pytest.fixture(scope="module")
def srv(binary, tmp_path_factory):
    s = SecureRbacServer(binary, tmp_path_factory.mktemp("srv-rbac"),
                         server_config(extra={"handlerChain": CHAIN}), "srv-rbac").start()
    s.as_user("admin", "create", "namespace", "team", check=True)
    yield s
    stop_servers(s)


def can_i(srv, user, *args) -> str:
    _, out, _ = srv.as_user(user, "auth", "can-i", *args)
    return out.strip()


def eventually(fn, timeout=10.0):
    """The authorizer follows the policy through a watch: poll briefly for a change to arrive."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_bootstrap_policy_is_kubes(srv):
    rc, out, err = srv.as_user("admin", "get", "clusterroles", "-o", "name", check=True)
    names = set(out.split())
    for r in ["cluster-admin", "admin", "edit", "view", "system:discovery", "system:basic-user",
              "system:public-info-viewer", "system:aggregate-to-view"]:
        assert f"clusterrole.rbac.authorization.k8s.io/{r}" in names
    crb = json.loads(srv.as_user("admin", "get", "clusterrolebinding", "cluster-admin", "-o", "json", check=True)[1])
    assert crb["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}]
    assert crb["metadata"]["annotations"]["rbac.authorization.kubernetes.io/autoupdate"] == "true"
    view = json.loads(srv.as_user("admin", "get", "clusterrole", "view", "-o", "json", check=True)[1])
    assert view["aggregationRule"]["clusterRoleSelectors"] == [
        {"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}}]
    assert any("pods" in r.get("resources", []) for r in view["rules"]), "aggregated from system:aggregate-to-view"
    _, out, _ = srv.as_user("admin", "get", "clusterrolebindings", "-o", "wide", check=True)
    assert "system:public-info-viewer" in out and "system:authenticated, system:unauthenticated" in out


def test_a_user_without_a_binding_is_forbidden_in_kubes_words(srv):
    rc, out, err = srv.as_user("alice", "get", "pods", "-n", "team")
    assert rc == 1
    assert ('Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" '
            'in API group "" in the namespace "team"') in err
    rc, _, err = srv.as_user("alice", "get", "nodes")
    assert 'nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope' in err
    rc, _, err = srv.as_user("alice", "get", "clusterrole", "view")
    assert ('clusterroles.rbac.authorization.k8s.io "view" is forbidden: User "alice" cannot get resource '
            '"clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope') in err
    # Discovery and health are readable by every authenticated user.
    rc, out, _ = srv.as_user("alice", "get", "--raw", "/healthz")
    assert rc == 0 and out == "ok"
    rc, out, _ = srv.as_user("alice", "api-versions")
    assert rc == 0 and "rbac.authorization.k8s.io/v1" in out.split()


def test_auth_can_i_answers(srv):
    assert can_i(srv, "alice", "list", "pods", "-n", "team") == "no"
    assert can_i(srv, "admin", "list", "pods", "-n", "team") == "yes"
    assert can_i(srv, "admin", "*", "*") == "yes"
    assert can_i(srv, "alice", "create", "selfsubjectaccessreviews.authorization.k8s.io") == "yes"
    assert can_i(srv, "alice", "get", "/healthz") == "yes"
    assert can_i(srv, "alice", "get", "/metrics") == "no"
    rc, _, _ = srv.as_user("alice", "auth", "can-i", "list", "pods", "-n", "team")
    assert rc == 1, "kubectl exits 1 for no"


def test_rolebinding_to_view_allows_reads_not_writes(srv):
    srv.as_user("admin", "create", "rolebinding", "bob-view", "--clusterrole=view", "--user=bob", "-n", "team",
                check=True)
    assert eventually(lambda: can_i(srv, "bob", "list", "pods", "-n", "team") == "yes")
    rc, out, err = srv.as_user("bob", "get", "pods", "-n", "team")
    assert rc == 0, err
    assert "No resources found in team namespace." in err
    rc, _, err = srv.as_user("bob", "create", "configmap", "c1", "--from-literal=a=b", "-n", "team")
    assert rc == 1
    assert ('configmaps is forbidden: User "bob" cannot create resource "configmaps" in API group "" '
            'in the namespace "team"') in err
    rc, _, err = srv.as_user("bob", "get", "secrets", "-n", "team")
    assert rc == 1 and 'cannot list resource "secrets"' in err
    assert can_i(srv, "bob", "create", "configmaps", "-n", "team") == "no"
    assert can_i(srv, "bob", "get", "pods/log", "-n", "team") == "yes"
    assert can_i(srv, "bob", "list", "pods", "-n", "default") == "no"
    # The same through the group: alice is not in devs.
    assert can_i(srv, "alice", "list", "pods", "-n", "team") == "no"


def test_auth_can_i_list(srv):
    _, out, _ = srv.as_user("bob", "auth", "can-i", "--list", "-n", "team", check=True)
    lines = out.splitlines()
    assert lines[0].split() == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    rows = {l.split()[0]: l for l in lines[1:] if l and not l.startswith(" ")}
    assert "pods" in rows and "[get list watch]" in rows["pods"]
    assert "selfsubjectaccessreviews.authorization.k8s.io" in rows
    assert "secrets" not in rows
    assert any("[/healthz]" in l for l in lines)


def test_auth_can_i_as_another_user(srv):
    # An admin may impersonate; the answer is the impersonated user's.
    assert eventually(lambda: can_i(srv, "admin", "--as", "bob", "list", "pods", "-n", "team") == "yes")
    assert can_i(srv, "admin", "--as", "bob", "create", "configmaps", "-n", "team") == "no"
    assert can_i(srv, "admin", "--as", "alice", "list", "pods", "-n", "team") == "no"
    rc, out, _ = srv.as_user("admin", "--as", "bob", "get", "pods", "-n", "team")
    assert rc == 0
    # A user without the impersonate verb is refused.
    rc, _, err = srv.as_user("alice", "--as", "admin", "get", "pods", "-n", "team")
    assert rc == 1
    assert ('users "admin" is forbidden: User "alice" cannot impersonate resource "users" in API group "" '
            'at the cluster scope') in err


def test_auth_whoami(srv):
    # kubectl sends a protobuf SelfSubjectReview; any authenticated user may (system:basic-user).
    rc, out, err = srv.as_user("bob", "auth", "whoami", check=True)
    assert out == ("ATTRIBUTE   VALUE\n"
                   "Username    bob\n"
                   "UID         2\n"
                   "Groups      [devs system:authenticated]\n"), err
    _, out, _ = srv.as_user("alice", "auth", "whoami", "-o", "json", check=True)
    review = json.loads(out)
    assert (review["kind"], review["apiVersion"]) == ("SelfSubjectReview", "authentication.k8s.io/v1")
    assert review["status"] == {"userInfo": {"username": "alice", "uid": "1", "groups": ["system:authenticated"]}}
    assert review["metadata"]["creationTimestamp"].endswith("Z")
    # Impersonated: the answer is the user the request acts as.
    _, out, _ = srv.as_user("admin", "--as", "jane", "--as-group", "qa", "auth", "whoami", "-o", "json", check=True)
    assert json.loads(out)["status"] == {"userInfo": {"username": "jane", "groups": ["qa", "system:authenticated"]}}


def test_escalation_binding_cluster_admin_is_refused(srv):
    srv.as_user("admin", "create", "clusterrole", "rolebinding-creator", "--verb=create,get,list",
                "--resource=rolebindings.rbac.authorization.k8s.io", check=True)
    srv.as_user("admin", "create", "rolebinding", "carol-rb", "--clusterrole=rolebinding-creator", "--user=carol",
                "-n", "team", check=True)
    assert eventually(lambda: can_i(srv, "carol", "create", "rolebindings", "-n", "team") == "yes")
    rc, _, err = srv.as_user("carol", "create", "rolebinding", "steal", "--clusterrole=cluster-admin",
                             "--user=carol", "-n", "team")
    assert rc == 1
    assert ('rolebindings.rbac.authorization.k8s.io "steal" is forbidden: user "carol" '
            '(groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:') in err
    assert '{APIGroups:["*"], Resources:["*"], Verbs:["*"]}' in err
    assert '{NonResourceURLs:["*"], Verbs:["*"]}' in err
    rc, _, _ = srv.as_user("admin", "get", "rolebinding", "steal", "-n", "team")
    assert rc == 1, "nothing was created"
    # view is not held by carol either; the role she holds herself she may pass on.
    rc, _, err = srv.as_user("carol", "create", "rolebinding", "v", "--clusterrole=view", "--user=dave", "-n", "team")
    assert rc == 1 and "attempting to grant RBAC permissions not currently held" in err
    rc, _, err = srv.as_user("carol", "create", "rolebinding", "pass-on", "--clusterrole=rolebinding-creator",
                             "--user=dave", "-n", "team")
    assert rc == 0, err


def test_roles_and_bindings_print_like_kube(srv):
    srv.as_user("admin", "create", "role", "pod-reader", "--verb=get,list", "--resource=pods,pods/log", "-n", "team",
                check=True)
    _, out, _ = srv.as_user("admin", "get", "roles", "-n", "team", check=True)
    header = out.splitlines()[0].split()
    assert header == ["NAME", "CREATED", "AT"]
    _, out, _ = srv.as_user("admin", "get", "rolebindings", "-n", "team", "-o", "wide", check=True)
    assert out.splitlines()[0].split() == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    assert any(l.split()[:2] == ["bob-view", "ClusterRole/view"] for l in out.splitlines()[1:])
    role = json.loads(srv.as_user("admin", "get", "role", "pod-reader", "-n", "team", "-o", "json", check=True)[1])
    assert role["rules"] == [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]}]


def test_subject_access_review(srv, tmp_path):
    sar = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
           "spec": {"user": "bob", "groups": ["devs"],
                    "resourceAttributes": {"namespace": "team", "verb": "get", "resource": "pods"}}}
    p = tmp_path / "sar.json"
    p.write_text(json.dumps(sar))
    # `create --raw`: `create -f` would validate client-side, and for a kind without a PATCH
    # operation kubectl asks whether it is a CRD; this server has no apiextensions group.
    raw = ["create", "--raw", "/apis/authorization.k8s.io/v1/subjectaccessreviews", "-f", str(p)]
    _, out, _ = srv.as_user("admin", *raw, check=True)
    status = json.loads(out)["status"]
    assert status["allowed"] is True
    assert status["reason"] == ('RBAC: allowed by RoleBinding "bob-view/team" of ClusterRole "view" '
                                'to User "bob"')
    sar["spec"]["resourceAttributes"]["verb"] = "delete"
    p.write_text(json.dumps(sar))
    _, out, _ = srv.as_user("admin", *raw, check=True)
    assert json.loads(out)["status"]["allowed"] is False
    rc, _, err = srv.as_user("alice", *raw)
    assert rc == 1 and 'cannot create resource "subjectaccessreviews"' in err
