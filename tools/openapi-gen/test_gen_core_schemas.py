"""Tests of gen_core_schemas.py and of the schemas it generated.

Run: /usr/bin/python3 -m pytest tools/openapi-gen -q

The first group checks the committed output (plugins/core/schema/core_v1_openapi.json);
the second runs the generator on small Go snippets written here, so it needs no
Kubernetes sources.
"""

import json
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import gen_core_schemas as g  # noqa: E402

OUT = os.path.join(HERE, "..", "..", "plugins", "core", "schema", "core_v1_openapi.json")
CORE = "io.k8s.api.core.v1."
META = "io.k8s.apimachinery.pkg.apis.meta.v1."
REF = "#/components/schemas/"


@pytest.fixture(scope="module")
def defs():
    with open(OUT, encoding="utf-8") as f:
        return json.load(f)


# --------------------------------------------------------------------------
# The committed output

def test_self_check_passes(defs):
    assert g.self_check(defs) == []


def test_every_ref_resolves(defs):
    refs = list(g.iter_refs(defs))
    assert len(refs) > 200
    for path, ref in refs:
        assert ref.startswith(REF), path
        assert ref[len(REF):] in defs, (path, ref)


def test_only_reachable_and_named_like_kube(defs):
    for name in defs:
        assert name.startswith(("io.k8s.api.core.v1.", "io.k8s.apimachinery.pkg.")), name
    # List kinds are not generated.
    assert not [n for n in defs if n.endswith("List") and n.startswith(CORE)]
    # every definition except the roots is referenced by another one
    referenced = {r[len(REF):] for _, r in g.iter_refs(defs)}
    roots = {CORE + k for k in g.ROOT_KINDS} | {META + "ListMeta", META + "Status"}
    assert set(defs) - referenced <= roots


def test_pod_spec_containers(defs):
    c = defs[CORE + "PodSpec"]["properties"]["containers"]
    assert c["type"] == "array"
    assert c["x-kubernetes-patch-merge-key"] == "name"
    assert c["x-kubernetes-patch-strategy"] == "merge"
    assert c["x-kubernetes-list-type"] == "map"
    assert c["x-kubernetes-list-map-keys"] == ["name"]
    assert c["items"] == {"allOf": [{"$ref": REF + CORE + "Container"}], "default": {}}
    assert defs[CORE + "PodSpec"]["required"] == ["containers"]


def test_container_ports_env(defs):
    p = defs[CORE + "Container"]["properties"]
    assert p["ports"]["x-kubernetes-patch-merge-key"] == "containerPort"
    assert p["ports"]["x-kubernetes-list-map-keys"] == ["containerPort", "protocol"]
    assert p["ports"]["x-kubernetes-list-type"] == "map"
    assert p["env"]["x-kubernetes-patch-merge-key"] == "name"
    assert p["env"]["x-kubernetes-patch-strategy"] == "merge"
    assert p["command"]["items"] == {"default": "", "type": "string"}
    assert p["command"]["x-kubernetes-list-type"] == "atomic"


def test_pod_volumes_retain_keys(defs):
    v = defs[CORE + "PodSpec"]["properties"]["volumes"]
    assert v["x-kubernetes-patch-merge-key"] == "name"
    assert v["x-kubernetes-patch-strategy"] == "merge,retainKeys"
    # VolumeSource is inlined into Volume
    assert "hostPath" in defs[CORE + "Volume"]["properties"]
    assert CORE + "VolumeSource" not in defs


def test_object_meta(defs):
    p = defs[META + "ObjectMeta"]["properties"]
    assert p["finalizers"]["x-kubernetes-patch-strategy"] == "merge"
    assert p["finalizers"]["x-kubernetes-list-type"] == "set"
    assert p["ownerReferences"]["x-kubernetes-patch-merge-key"] == "uid"
    assert p["ownerReferences"]["x-kubernetes-list-type"] == "map"
    assert p["ownerReferences"]["x-kubernetes-list-map-keys"] == ["uid"]
    assert p["labels"] == {
        "additionalProperties": {"default": "", "type": "string"},
        "description": p["labels"]["description"], "type": "object"}
    assert p["creationTimestamp"]["allOf"] == [{"$ref": REF + META + "Time"}]
    assert "default" not in p["creationTimestamp"]


def test_kinds_have_gvk_and_typemeta(defs):
    for kind in g.ROOT_KINDS:
        d = defs[CORE + kind]
        assert d["type"] == "object"
        assert d["description"]
        assert d["x-kubernetes-group-version-kind"] == [
            {"group": "", "version": "v1", "kind": kind}]
        assert d["properties"]["kind"]["type"] == "string"
        assert d["properties"]["metadata"]["allOf"] == [{"$ref": REF + META + "ObjectMeta"}]
    assert defs[CORE + "Event"]["required"] == ["metadata", "involvedObject"]


def test_well_known_types(defs):
    assert defs[META + "Time"]["type"] == "string"
    assert defs[META + "Time"]["format"] == "date-time"
    q = defs["io.k8s.apimachinery.pkg.api.resource.Quantity"]
    assert q["oneOf"] == [{"type": "string"}, {"type": "number"}]
    i = defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]
    assert i["format"] == "int-or-string"
    assert i["x-kubernetes-int-or-string"] is True
    lim = defs[CORE + "ResourceRequirements"]["properties"]["limits"]
    assert lim["additionalProperties"] == {
        "$ref": REF + "io.k8s.apimachinery.pkg.api.resource.Quantity"}
    assert defs[CORE + "Secret"]["properties"]["data"]["additionalProperties"] == {
        "format": "byte", "type": "string"}


def test_enums_defaults_unions(defs):
    p = defs[CORE + "Container"]["properties"]["imagePullPolicy"]
    assert p["enum"] == ["Always", "IfNotPresent", "Never"]
    assert "Possible enum values:\n - `\"Always\"` means" in p["description"]
    az = defs[CORE + "AzureDiskVolumeSource"]["properties"]
    assert az["cachingMode"]["default"] == "ReadWrite"
    assert az["kind"]["default"] == "Shared"
    assert az["readOnly"]["default"] is False
    assert defs[CORE + "ContainerPort"]["properties"]["protocol"]["default"] == "TCP"
    assert defs[CORE + "SeccompProfile"]["x-kubernetes-unions"] == [
        {"discriminator": "type",
         "fields-to-discriminateBy": {"localhostProfile": "LocalhostProfile"}}]
    assert defs[CORE + "ObjectReference"]["x-kubernetes-map-type"] == "atomic"


def test_132_fields_present(defs):
    spec = defs[CORE + "PodSpec"]["properties"]
    for f in ("schedulingGates", "resourceClaims", "hostUsers", "resources", "os"):
        assert f in spec
    assert "resizePolicy" in defs[CORE + "Container"]["properties"]
    assert "trafficDistribution" in defs[CORE + "ServiceSpec"]["properties"]
    assert "request" in defs[CORE + "ResourceClaim"]["properties"]
    assert "seLinuxChangePolicy" in defs[CORE + "PodSecurityContext"]["properties"]
    # 1.33+ fields must not be there
    assert "stopSignal" not in defs[CORE + "Lifecycle"]["properties"]
    assert "observedGeneration" not in defs[CORE + "PodStatus"]["properties"]


# --------------------------------------------------------------------------
# The generator on small inputs

META_SRC = '''
package v1

import "time"

// ObjectMeta is metadata.
type ObjectMeta struct {
	// Name of it.
	// +optional
	Name string `json:"name,omitempty"`
	// +optional
	// +patchStrategy=merge
	// +listType=set
	Finalizers []string `json:"finalizers,omitempty" patchStrategy:"merge"`
}

// TypeMeta describes an object.
type TypeMeta struct {
	// Kind is a kind.
	// +optional
	Kind string `json:"kind,omitempty"`
}

// Time is a time.
type Time struct {
	time.Time `protobuf:"-"`
}

func (t *Time) UnmarshalJSON(b []byte) error {
	if len(b) == 4 { return nil }
	return nil
}

func (_ Time) OpenAPISchemaType() []string { return []string{"string"} }

func (_ Time) OpenAPISchemaFormat() string { return "date-time" }

// ListMeta is list metadata.
type ListMeta struct {
	// +optional
	Continue string `json:"continue,omitempty"`
}

// Status is a status.
type Status struct {
	TypeMeta `json:",inline"`
	// +optional
	ListMeta `json:"metadata,omitempty"`
}
'''

CORE_SRC = '''
package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Mode is a mode.
// +enum
type Mode string

const (
	// ModeA means a.
	ModeA Mode = "A"
	// ModeB means b
	// over two lines.
	ModeB Mode = "B"
	ModeC Mode = "C"
)

// Pod is a pod.
// ---
// Hidden text.
type Pod struct {
	metav1.TypeMeta `json:",inline"`
	// Standard metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`

	// The spec.
	// TODO: hidden
	//
	// Second paragraph:
	//	indented line
	// +optional
	Spec PodSpec `json:"spec,omitempty"`
}

// PodSpec is a spec.
// +structType=atomic
type PodSpec struct {
	// Items here.
	// +patchMergeKey=name
	// +patchStrategy=merge
	// +listType=map
	// +listMapKey=name
	Items []Item `json:"items" patchStrategy:"merge" patchMergeKey:"name"`
	// The mode.
	// +optional
	Mode *Mode `json:"mode,omitempty"`
	// Required mode.
	Required Mode `json:"required"`
	// Defaulted.
	// +optional
	// +default=ref(ModeB)
	Defaulted Mode `json:"defaulted,omitempty"`
	// Port.
	Port intstr.IntOrString `json:"port"`
	// When.
	// +optional
	When *metav1.Time `json:"when,omitempty"`
	/*
		block comment, not a doc comment
	*/

	// Data.
	// +optional
	Data map[string][]byte `json:"data,omitempty"`
	// Ignored.
	Ignored string `json:"-"`
	// +k8s:openapi-gen=false
	Hidden string `json:"hidden"`
	Counts []int32 `json:"counts,omitempty"`
}

// Item has a name.
type Item struct {
	Name string `json:"name"`
}

// Unused is not reachable.
type Unused struct{}

// Namespace, Service, ... are needed as roots; keep them minimal.
type Namespace struct {
	metav1.TypeMeta `json:",inline"`
}
'''

INTSTR_SRC = '''
package intstr

// IntOrString holds an int or a string.
type IntOrString struct {
	Type   Type
	IntVal int32
	StrVal string
}

type Type int64

func (intstr *IntOrString) UnmarshalJSON(value []byte) error {
	return nil
}

func (IntOrString) OpenAPISchemaType() []string { return []string{"string"} }

func (IntOrString) OpenAPISchemaFormat() string { return "int-or-string" }

func (IntOrString) OpenAPIV3OneOfTypes() []string { return []string{"integer", "string"} }
'''


def small_universe():
    u = g.Universe()
    g.Parser(u, g.CORE_PKG, CORE_SRC, "core.go").parse_file()
    g.Parser(u, g.META_PKG, META_SRC, "meta.go").parse_file()
    g.Parser(u, g.INTSTR_PKG, INTSTR_SRC, "intstr.go").parse_file()
    u.finish()
    return u


def small_defs():
    return g.Generator(small_universe()).run([(g.CORE_PKG, "Pod")])


def test_parser_reads_declarations():
    u = small_universe()
    pod = u.types[(g.CORE_PKG, "Pod")]
    assert [m.name for m in pod.members] == ["TypeMeta", "ObjectMeta", "Spec"]
    assert pod.members[1].embedded and pod.members[1].typ.pkg == g.META_PKG
    assert pod.comments == ["Pod is a pod.", "---", "Hidden text."]
    spec = u.types[(g.CORE_PKG, "PodSpec")]
    data = [m for m in spec.members if m.name == "Data"][0]
    assert data.comments == ["Data.", "+optional"]  # the block comment is not a doc comment
    t = u.types[(g.META_PKG, "Time")]
    assert t.methods["UnmarshalJSON"].ptr_receiver
    assert t.methods["OpenAPISchemaType"].returns == ["string"]
    assert t.methods["OpenAPISchemaFormat"].returns == "date-time"
    consts = {c.name: c.value for c in u.consts}
    assert consts == {"ModeA": "A", "ModeB": "B", "ModeC": "C"}


def test_generated_small_schemas():
    d = small_defs()
    pod = d[CORE + "Pod"]
    assert pod["description"] == "Pod is a pod."
    assert sorted(pod["properties"]) == ["kind", "metadata", "spec"]
    assert "required" not in pod
    assert pod["properties"]["spec"] == {
        "allOf": [{"$ref": REF + CORE + "PodSpec"}], "default": {},
        "description": "The spec.\n\nSecond paragraph:\n\tindented line"}
    spec = d[CORE + "PodSpec"]
    assert spec["x-kubernetes-map-type"] == "atomic"
    assert spec["required"] == ["items", "required", "port"]
    p = spec["properties"]
    assert sorted(p) == ["counts", "data", "defaulted", "items", "mode", "port", "required", "when"]
    assert p["items"]["x-kubernetes-list-map-keys"] == ["name"]
    assert p["items"]["x-kubernetes-patch-strategy"] == "merge"
    assert p["items"]["items"] == {"allOf": [{"$ref": REF + CORE + "Item"}], "default": {}}
    assert p["mode"]["enum"] == ["A", "B", "C"]
    assert p["mode"]["description"] == (
        "The mode.\n\nPossible enum values:\n - `\"A\"` means a.\n"
        " - `\"B\"` means b over two lines.\n - `\"C\"`")
    assert "default" not in p["mode"]
    assert p["required"]["default"] == ""
    assert p["defaulted"]["default"] == "B"
    assert p["port"] == {"allOf": [{"$ref": REF + "io.k8s.apimachinery.pkg.util.intstr.IntOrString"}],
                         "description": "Port."}
    assert p["when"]["allOf"] == [{"$ref": REF + META + "Time"}]
    assert p["data"]["additionalProperties"] == {"type": "string", "format": "byte"}
    assert p["counts"]["items"] == {"default": 0, "format": "int32", "type": "integer"}
    assert d[CORE + "Item"]["properties"]["name"] == {"default": "", "type": "string"}
    assert d[META + "Time"] == {"description": "Time is a time.", "type": "string",
                                "format": "date-time"}
    ios = d["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]
    assert ios["oneOf"] == [{"type": "integer"}, {"type": "string"}]
    assert CORE + "Unused" not in d


def test_description_rules():
    assert g.generate_description(["a", "b", "", "c", "---", "d"]) == "a b\n\nc"
    assert g.generate_description(["x:", "\tcode", "y"]) == "x:\n\tcode\ny"
    assert g.generate_description(["TODO: no", "+marker", "kept \\\"q\\\""]) == 'kept "q"'
    assert g.generate_description(["key HKEY\\\\SYSTEM"]) == "key HKEY\\SYSTEM"


def test_comment_text_rules():
    assert g.comment_group_text(["// a  ", "//", "//", "//\tb", "//go:generate x", "// "]) == \
        ["a", "", "\tb"]


def test_wrap_refs():
    s = {"properties": {"a": {"$ref": "#/x", "description": "d"}, "b": {"$ref": "#/y"}},
         "items": {"$ref": "#/z", "default": {}}}
    assert g.wrap_refs(s) == {
        "properties": {"a": {"allOf": [{"$ref": "#/x"}], "description": "d"},
                       "b": {"$ref": "#/y"}},
        "items": {"allOf": [{"$ref": "#/z"}], "default": {}}}


def test_patch_tag_mismatch_is_an_error():
    src = CORE_SRC.replace('patchStrategy:"merge" patchMergeKey:"name"', 'patchMergeKey:"name"')
    u = g.Universe()
    g.Parser(u, g.CORE_PKG, src, "core.go").parse_file()
    g.Parser(u, g.META_PKG, META_SRC, "meta.go").parse_file()
    g.Parser(u, g.INTSTR_PKG, INTSTR_SRC, "intstr.go").parse_file()
    u.finish()
    with pytest.raises(g.GenError):
        g.Generator(u).run([(g.CORE_PKG, "Pod")])
