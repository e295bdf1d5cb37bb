#!/usr/bin/python3
"""Generate the OpenAPI v3 component schemas of the core/v1 kinds we serve.

This is a small re-implementation, in Python, of the part of Kubernetes'
``openapi-gen`` (k8s.io/kube-openapi/pkg/generators) that turns Go API type
definitions into OpenAPI definitions, followed by the v3 post-processing that
``kube-apiserver`` applies when it publishes ``/openapi/v3`` (``$ref`` with
sibling keys wrapped into ``allOf``).  It reads Kubernetes' own Go sources, so
the schemas carry kube's descriptions, required lists, defaults, enums and
``x-kubernetes-*`` extensions.

Inputs (paths given on the command line; the Go files are not kept in this
repository -- see README.md for where they come from):

  --core FILE...      k8s.io/api/core/v1 sources (types.go, or an excerpt of it)
  --meta FILE...      k8s.io/apimachinery/pkg/apis/meta/v1 sources
                      (types.go, time.go, micro_time.go)
  --resource FILE...  k8s.io/apimachinery/pkg/api/resource sources (quantity.go)
  --intstr FILE...    k8s.io/apimachinery/pkg/util/intstr sources (intstr.go)
  -o/--out FILE       output JSON (default: plugins/core/schema/core_v1_openapi.json
                      relative to the repository root)

Output: one JSON object ``{"<definition name>": <schema>, ...}`` keyed as kube
names its components (``io.k8s.api.core.v1.Pod``, ...), holding the nine kinds
Namespace, Pod, Service, Endpoints, ConfigMap, Secret, Node, Event and
ServiceAccount, every type reachable from them, and ``meta/v1`` ListMeta and
Status (needed for list and error responses).

Modes:

  gen_core_schemas.py --core ... --meta ... --resource ... --intstr ... [-o OUT]
      parse the Go files, generate, run the self-check, write OUT.
  gen_core_schemas.py --check [FILE]
      only run the self-check on an already generated file (default: the
      committed output); exit status 1 on failure.

What the generator understands of Go: package/import clauses, ``type`` declarations
(struct, named basic types, maps, slices, ``=`` aliases), ``const`` blocks
(typed string constants, ``iota`` is ignored), method declarations (only their
receiver, name and one-line ``return`` literal are used), doc comments
(go/ast CommentGroup.Text rules), struct tags (``json``, ``patchStrategy``,
``patchMergeKey``), embedded and ``json:",inline"`` members, pointer/slice/map
types.  Comment markers: ``+optional``, ``+listType``, ``+listMapKey``,
``+patchMergeKey``, ``+patchStrategy``, ``+mapType``, ``+structType``,
``+enum``, ``+default`` (JSON value or ``ref(Const)``), ``+union`` /
``+unionDiscriminator``, ``+k8s:openapi-gen=false`` and
``+k8s:openapi-gen=x-kubernetes-...``.  Types with ``OpenAPISchemaType`` /
``OpenAPISchemaFormat`` / ``OpenAPIV3OneOfTypes`` methods (Time, MicroTime,
Quantity, IntOrString) get the custom schema those methods declare, exactly as
kube-openapi does.
"""

import argparse
import json
import os
import re
import sys

# --------------------------------------------------------------------------
# Constants

CORE_PKG = "k8s.io/api/core/v1"
META_PKG = "k8s.io/apimachinery/pkg/apis/meta/v1"
RESOURCE_PKG = "k8s.io/apimachinery/pkg/api/resource"
INTSTR_PKG = "k8s.io/apimachinery/pkg/util/intstr"
RUNTIME_PKG = "k8s.io/apimachinery/pkg/runtime"
TYPES_PKG = "k8s.io/apimachinery/pkg/types"

# The kinds we serve, in core/v1.
ROOT_KINDS = ["Namespace", "Pod", "Service", "Endpoints", "ConfigMap", "Secret",
              "Node", "Event", "ServiceAccount"]
# meta/v1 types the server needs besides the ones reachable from the kinds.
EXTRA_ROOTS = [(META_PKG, "ListMeta"), (META_PKG, "Status")]
# Definitions that carry x-kubernetes-group-version-kind.
GVK = {(CORE_PKG, k): {"group": "", "version": "v1", "kind": k} for k in ROOT_KINDS}
GVK[(META_PKG, "Status")] = {"group": "", "version": "v1", "kind": "Status"}

# k8s.io/kube-openapi/pkg/util/... schemaTypeFormatMap
TYPE_FORMAT = {
    "uint": ("integer", "int32"), "uint8": ("integer", "byte"),
    "uint16": ("integer", "int32"), "uint32": ("integer", "int64"),
    "uint64": ("integer", "int64"), "int": ("integer", "int32"),
    "int8": ("integer", "byte"), "int16": ("integer", "int32"),
    "int32": ("integer", "int32"), "int64": ("integer", "int64"),
    "byte": ("integer", "byte"), "float64": ("number", "double"),
    "float32": ("number", "float"), "bool": ("boolean", ""),
    "time.Time": ("string", "date-time"), "string": ("string", ""),
    "integer": ("integer", ""), "number": ("number", ""),
    "boolean": ("boolean", ""), "[]byte": ("string", "byte"),
    "interface{}": ("object", ""),
}
ZERO_VALUE = {"string": "", "bool": False, "float32": 0.0, "float64": 0.0}
for _t in ("uint", "uint8", "uint16", "uint32", "uint64", "int", "int8", "int16",
           "int32", "int64", "byte"):
    ZERO_VALUE[_t] = 0
BUILTINS = set(TYPE_FORMAT) | {"rune", "error"}

# Types from packages whose sources we do not read.
EXTERNAL_NAMED = {
    (TYPES_PKG, "UID"): ("alias", "string"),
}
# runtime.RawExtension is not reachable from the nine kinds; if it ever is, it is
# published the way the brief asks (an open object).
RAW_EXTENSION_SCHEMA = {
    "description": "RawExtension is used to hold extensions in external versions.",
    "type": "object",
    "x-kubernetes-preserve-unknown-fields": True,
}

# Additions of this project on top of what kube publishes.  kube's v3 spec describes
# IntOrString only as {format: int-or-string, oneOf: [integer, string]}; the
# structural-schema marker below lets our validator (which already knows it from
# CRD schemas) treat it without implementing oneOf.  kubectl ignores it.
PROJECT_EXTENSIONS = {
    (INTSTR_PKG, "IntOrString"): {"x-kubernetes-int-or-string": True},
}

# extension.go: tag -> (x-name, always an array)
TAG_TO_EXTENSION = {
    "patchMergeKey": ("x-kubernetes-patch-merge-key", False),
    "patchStrategy": ("x-kubernetes-patch-strategy", False),
    "listMapKey": ("x-kubernetes-list-map-keys", True),
    "listType": ("x-kubernetes-list-type", False),
    "mapType": ("x-kubernetes-map-type", False),
    "structType": ("x-kubernetes-map-type", False),
}


def definition_name(pkg, name):
    """kube's OpenAPI definition name: k8s.io/api/core/v1.Pod -> io.k8s.api.core.v1.Pod."""
    parts = pkg.split("/")
    host = ".".join(reversed(parts[0].split(".")))
    return ".".join([host] + parts[1:] + [name])


# --------------------------------------------------------------------------
# Go tokenizer

class Tok:
    __slots__ = ("kind", "val", "line", "end_line", "own_line")

    def __init__(self, kind, val, line, end_line=None, own_line=False):
        self.kind = kind        # ident, number, string, rawstring, char, op, comment, newline, eof
        self.val = val
        self.line = line
        self.end_line = end_line if end_line is not None else line
        self.own_line = own_line  # comment that is the first token on its line

    def __repr__(self):
        return "Tok(%s,%r,%d)" % (self.kind, self.val, self.line)


class GoSyntaxError(Exception):
    pass


def tokenize(src, path="<src>"):
    toks = []
    i, n, line = 0, len(src), 1
    line_has_token = False
    while i < n:
        c = src[i]
        if c == "\n":
            toks.append(Tok("newline", "\n", line))
            line += 1
            i += 1
            line_has_token = False
            continue
        if c in " \t\r\f\v":
            i += 1
            continue
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            toks.append(Tok("comment", src[i:j], line, own_line=not line_has_token))
            i = j
            continue
        if src.startswith("/*", i):
            j = src.find("*/", i + 2)
            if j < 0:
                raise GoSyntaxError("%s:%d: unterminated block comment" % (path, line))
            text = src[i:j + 2]
            toks.append(Tok("comment", text, line, line + text.count("\n"),
                            own_line=not line_has_token))
            line += text.count("\n")
            i = j + 2
            continue
        line_has_token = True
        if c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                if src[j] == "\\":
                    j += 1
                if j < n and src[j] == "\n":
                    raise GoSyntaxError("%s:%d: newline in string" % (path, line))
                j += 1
            toks.append(Tok("string", src[i:j + 1], line))
            i = j + 1
            continue
        if c == "`":
            j = src.find("`", i + 1)
            if j < 0:
                raise GoSyntaxError("%s:%d: unterminated raw string" % (path, line))
            text = src[i:j + 1]
            toks.append(Tok("rawstring", text, line, line + text.count("\n")))
            line += text.count("\n")
            i = j + 1
            continue
        if c == "'":
            j = i + 1
            while j < n and src[j] != "'":
                if src[j] == "\\":
                    j += 1
                j += 1
            toks.append(Tok("char", src[i:j + 1], line))
            i = j + 1
            continue
        if c.isalpha() or c == "_":
            j = i + 1
            while j < n and (src[j].isalnum() or src[j] == "_"):
                j += 1
            toks.append(Tok("ident", src[i:j], line))
            i = j
            continue
        if c.isdigit():
            j = i + 1
            while j < n and (src[j].isalnum() or src[j] in "._"):
                j += 1
            toks.append(Tok("number", src[i:j], line))
            i = j
            continue
        if src.startswith("...", i):
            toks.append(Tok("op", "...", line))
            i += 3
            continue
        toks.append(Tok("op", c, line))
        i += 1
    toks.append(Tok("eof", "", line))
    return toks


_DIRECTIVE = re.compile(r"^[a-z0-9]+:[a-z0-9]")


def comment_group_text(raw_comments):
    """go/ast CommentGroup.Text() split into lines (gengo's CommentLines)."""
    lines = []
    for c in raw_comments:
        if c.startswith("//"):
            c = c[2:]
            if c:
                if c[0] == " ":
                    c = c[1:]
                elif c.startswith("line ") or _DIRECTIVE.match(c):
                    continue
            cl = [c]
        else:
            cl = c[2:-2].split("\n")
        for l in cl:
            lines.append(l.rstrip(" \t\r\f\v"))
    out = []
    for l in lines:
        if l != "" or (out and out[-1] != ""):
            out.append(l)
    while out and out[-1] == "":
        out.pop()
    return out


def unquote_go_string(lit):
    """Value of a Go string literal token ("..." or `...`)."""
    if lit.startswith("`"):
        return lit[1:-1]
    return decode_go_escapes(lit[1:-1])


_SIMPLE_ESC = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
               "v": "\v", "\\": "\\", "'": "'", '"': '"'}


def decode_go_escapes(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c != "\\" or i + 1 >= len(s):
            out.append(c)
            i += 1
            continue
        e = s[i + 1]
        if e in _SIMPLE_ESC:
            out.append(_SIMPLE_ESC[e])
            i += 2
        elif e == "x" and re.match(r"[0-9a-fA-F]{2}", s[i + 2:i + 4]):
            out.append(chr(int(s[i + 2:i + 4], 16)))
            i += 4
        elif e == "u" and re.match(r"[0-9a-fA-F]{4}", s[i + 2:i + 6]):
            out.append(chr(int(s[i + 2:i + 6], 16)))
            i += 6
        elif e == "U" and re.match(r"[0-9a-fA-F]{8}", s[i + 2:i + 10]):
            out.append(chr(int(s[i + 2:i + 10], 16)))
            i += 10
        elif re.match(r"[0-7]{3}", s[i + 1:i + 4]):
            out.append(chr(int(s[i + 1:i + 4], 8)))
            i += 4
        else:  # not valid Go; keep as written
            out.append(c)
            i += 1
    return "".join(out)


def parse_struct_tag(tag):
    """reflect.StructTag parsing: key:"value" pairs."""
    out = {}
    i, n = 0, len(tag)
    while i < n:
        while i < n and tag[i] == " ":
            i += 1
        j = i
        while j < n and tag[j] > " " and tag[j] != ":" and tag[j] != '"':
            j += 1
        if j == i or j + 1 >= n or tag[j] != ":" or tag[j + 1] != '"':
            break
        key = tag[i:j]
        k = j + 2
        while k < n and tag[k] != '"':
            if tag[k] == "\\":
                k += 1
            k += 1
        if k >= n:
            break
        out.setdefault(key, decode_go_escapes(tag[j + 2:k]))
        i = k + 1
    return out


def extract_comment_tags(lines):
    """gengo ExtractCommentTags("+", lines)."""
    out = {}
    for line in lines:
        line = line.strip(" ")
        if not line.startswith("+"):
            continue
        kv = line[1:].split("=", 1)
        out.setdefault(kv[0], []).append(kv[1] if len(kv) == 2 else "")
    return out


# --------------------------------------------------------------------------
# Go type expressions and declarations

class TypeRef:
    """A Go type expression. kind: name | ptr | slice | array | map | iface | struct."""
    __slots__ = ("kind", "pkg", "name", "elem", "key")

    def __init__(self, kind, pkg=None, name=None, elem=None, key=None):
        self.kind, self.pkg, self.name, self.elem, self.key = kind, pkg, name, elem, key

    def __repr__(self):
        if self.kind == "name":
            return "%s.%s" % (self.pkg, self.name) if self.pkg else self.name
        if self.kind == "ptr":
            return "*%r" % (self.elem,)
        if self.kind == "slice":
            return "[]%r" % (self.elem,)
        if self.kind == "array":
            return "[N]%r" % (self.elem,)
        if self.kind == "map":
            return "map[%r]%r" % (self.key, self.elem)
        return self.kind


class Member:
    def __init__(self, name, typ, tag, comments, embedded, line):
        self.name, self.typ, self.tag_raw = name, typ, tag
        self.tags = parse_struct_tag(tag)
        self.comments = comments
        self.embedded = embedded
        self.line = line

    def json_parts(self):
        j = self.tags.get("json", "")
        return j.split(",") if j else []


class TypeDecl:
    def __init__(self, pkg, name, kind, comments, path, line):
        self.pkg, self.name, self.kind = pkg, name, kind  # kind: struct | named | alias
        self.comments = comments
        self.members = []          # struct
        self.underlying = None     # named: TypeRef
        self.methods = {}          # name -> Method
        self.path, self.line = path, line


class Method:
    def __init__(self, name, ptr_receiver, returns):
        self.name, self.ptr_receiver, self.returns = name, ptr_receiver, returns


class ConstDecl:
    def __init__(self, pkg, name, typ, value, comments, ref=None):
        self.pkg, self.name, self.typ, self.value = pkg, name, typ, value
        self.comments = comments
        self.ref = ref  # name of another constant this one is set to


class Universe:
    def __init__(self):
        self.types = {}    # (pkg, name) -> TypeDecl
        self.consts = []   # ConstDecl
        self.pending_methods = []  # (pkg, recv, Method)

    def finish(self):
        for pkg, recv, m in self.pending_methods:
            t = self.types.get((pkg, recv))
            if t is not None:
                t.methods[m.name] = m
        # resolve constants defined as other constants
        by_name = {(c.pkg, c.name): c for c in self.consts}
        for c in self.consts:
            seen = 0
            while c.ref and seen < 10:
                o = by_name.get((c.pkg, c.ref))
                if o is None:
                    break
                c.typ = c.typ or o.typ
                c.value = o.value
                c.ref = o.ref
                seen += 1


class Parser:
    def __init__(self, universe, pkg, src, path):
        self.u, self.pkg, self.path = universe, pkg, path
        self.toks = tokenize(src, path)
        self.i = 0
        self.imports = {}
        self.comments_by_end_line = {}  # end line -> list of own-line comment tokens (a group)
        self._group_comments()

    # -- comment groups: consecutive own-line comments with no blank line between
    def _group_comments(self):
        group = []
        last_end = None
        for t in self.toks:
            if t.kind == "comment" and t.own_line:
                if group and last_end is not None and t.line == last_end + 1:
                    group.append(t)
                else:
                    if group:
                        self.comments_by_end_line[group[-1].end_line] = group
                    group = [t]
                last_end = t.end_line
            elif t.kind in ("newline",):
                continue
            elif t.kind == "comment":
                continue
            else:
                if group:
                    self.comments_by_end_line[group[-1].end_line] = group
                group = []
                last_end = None
        if group:
            self.comments_by_end_line[group[-1].end_line] = group

    def doc_for_line(self, line):
        g = self.comments_by_end_line.get(line - 1)
        return comment_group_text([t.val for t in g]) if g else []

    # -- token helpers (comments are skipped by the parser)
    def peek(self, skip_nl=True):
        j = self.i
        while True:
            t = self.toks[j]
            if t.kind == "comment" or (skip_nl and t.kind == "newline"):
                j += 1
                continue
            return t

    def next(self, skip_nl=True):
        while True:
            t = self.toks[self.i]
            self.i += 1
            if t.kind == "comment" or (skip_nl and t.kind == "newline"):
                continue
            return t

    def expect(self, val, skip_nl=True):
        t = self.next(skip_nl)
        if t.val != val:
            raise GoSyntaxError("%s:%d: expected %r, got %r" % (self.path, t.line, val, t.val))
        return t

    def skip_balanced(self, open_, close):
        depth = 0
        while True:
            t = self.next()
            if t.kind == "eof":
                raise GoSyntaxError("%s: unbalanced %s" % (self.path, open_))
            if t.val == open_ and t.kind == "op":
                depth += 1
            elif t.val == close and t.kind == "op":
                depth -= 1
                if depth == 0:
                    return

    @staticmethod
    def ends_statement(tok):
        """Go's automatic semicolon insertion: may a line end after this token?"""
        if tok is None:
            return True
        if tok.kind in ("ident", "number", "string", "rawstring", "char"):
            return True
        return tok.kind == "op" and tok.val in ")]}"

    def skip_to_line_end(self):
        """Skip tokens to the end of the current statement (newline at depth 0)."""
        depth = 0
        last = None
        while True:
            t = self.toks[self.i]
            if t.kind == "eof":
                return
            self.i += 1
            if t.kind == "op" and t.val in "([{":
                depth += 1
            elif t.kind == "op" and t.val in ")]}":
                depth -= 1
            elif t.kind == "newline" and depth <= 0 and self.ends_statement(last):
                return
            if t.kind not in ("newline", "comment"):
                last = t

    # -- grammar
    def parse_file(self):
        t = self.next()
        if t.val != "package":
            raise GoSyntaxError("%s:%d: expected package clause" % (self.path, t.line))
        self.next()  # package name
        while True:
            t = self.peek()
            if t.kind == "eof":
                break
            if t.val == "import":
                self.next()
                self.parse_import()
            elif t.val == "type":
                self.next()
                self.parse_type_decl_group(t.line)
            elif t.val == "const":
                self.next()
                self.parse_const_decl(t.line)
            elif t.val == "func":
                self.next()
                self.parse_func()
            elif t.val == "var":
                self.next()
                if self.peek().val == "(":
                    self.skip_balanced("(", ")")
                else:
                    self.skip_to_line_end()
            else:
                self.next()

    def parse_import(self):
        if self.peek().val == "(":
            self.next()
            while self.peek().val != ")":
                self.parse_import_spec()
            self.next()
        else:
            self.parse_import_spec()

    def parse_import_spec(self):
        t = self.next()
        alias = None
        if t.kind in ("ident", "op") and t.val != '"':
            alias = t.val
            t = self.next()
        path = unquote_go_string(t.val)
        if alias is None:
            alias = path.rsplit("/", 1)[-1]
        if alias not in ("_", "."):
            self.imports[alias] = path

    def parse_type_decl_group(self, line):
        if self.peek().val == "(":
            self.next()
            while self.peek().val != ")":
                name_tok = self.peek()
                self.parse_type_spec(self.doc_for_line(name_tok.line), name_tok.line)
            self.next()
        else:
            self.parse_type_spec(self.doc_for_line(line), line)

    def parse_type_spec(self, doc, line):
        name = self.next().val
        if self.peek(skip_nl=False).val == "[":  # generic type parameters: unsupported, skip
            self.skip_to_line_end()
            return
        if self.peek().val == "=":
            self.next()
            self.parse_type()
            return  # Go alias declaration: no new type for openapi-gen
        if self.peek().val == "struct":
            self.next()
            decl = TypeDecl(self.pkg, name, "struct", doc, self.path, line)
            self.parse_struct_body(decl)
        elif self.peek().val == "interface":
            self.next()
            self.skip_balanced("{", "}")
            return
        else:
            decl = TypeDecl(self.pkg, name, "named", doc, self.path, line)
            decl.underlying = self.parse_type()
        self.u.types[(self.pkg, name)] = decl

    def parse_struct_body(self, decl):
        self.expect("{")
        while True:
            t = self.peek()
            if t.val == "}":
                self.next()
                return
            if t.kind == "eof":
                raise GoSyntaxError("%s: unterminated struct %s" % (self.path, decl.name))
            start = t.line
            doc = self.doc_for_line(start)
            names = []
            embedded = False
            # field: Name[, Name] Type [Tag] | [*]Type [Tag]
            first = self.next()
            if first.val == "*":
                typ = TypeRef("ptr", elem=self.parse_type_name(self.next()))
                embedded = True
            else:
                nxt = self.peek(skip_nl=False)
                if nxt.kind in ("newline", "rawstring", "string") or nxt.val in ("}", ";") \
                        or (nxt.val == "." and first.kind == "ident"):
                    typ = self.parse_type_name(first)
                    embedded = True
                else:
                    names.append(first.val)
                    while self.peek(skip_nl=False).val == ",":
                        self.next()
                        names.append(self.next().val)
                    typ = self.parse_type()
            tag = ""
            if self.peek(skip_nl=False).kind in ("rawstring", "string"):
                tag = unquote_go_string(self.next().val)
            if embedded:
                base = typ.elem if typ.kind == "ptr" else typ
                names = [base.name]
            for nm in names:
                decl.members.append(Member(nm, typ, tag, doc, embedded, start))

    def parse_type_name(self, tok):
        if self.peek(skip_nl=False).val == ".":
            self.next()
            name = self.next().val
            pkg = self.imports.get(tok.val)
            if pkg is None:
                raise GoSyntaxError("%s:%d: unknown package %s" % (self.path, tok.line, tok.val))
            return TypeRef("name", pkg=pkg, name=name)
        if tok.val in BUILTINS:
            return TypeRef("name", pkg=None, name=tok.val)
        return TypeRef("name", pkg=self.pkg, name=tok.val)

    def parse_type(self):
        t = self.next()
        if t.val == "*":
            return TypeRef("ptr", elem=self.parse_type())
        if t.val == "[":
            if self.peek().val == "]":
                self.next()
                return TypeRef("slice", elem=self.parse_type())
            while self.next().val != "]":
                pass
            return TypeRef("array", elem=self.parse_type())
        if t.val == "map":
            self.expect("[")
            key = self.parse_type()
            self.expect("]")
            return TypeRef("map", key=key, elem=self.parse_type())
        if t.val == "interface":
            self.skip_balanced_from_peek()
            return TypeRef("iface")
        if t.val == "struct":
            self.skip_balanced_from_peek()
            return TypeRef("struct")
        if t.val == "func":
            self.skip_balanced("(", ")")
            return TypeRef("iface")
        if t.kind == "ident":
            return self.parse_type_name(t)
        raise GoSyntaxError("%s:%d: unexpected %r in type" % (self.path, t.line, t.val))

    def skip_balanced_from_peek(self):
        if self.peek().val == "{":
            self.skip_balanced("{", "}")

    def parse_const_decl(self, line):
        if self.peek().val == "(":
            self.next()
            prev_typ = None
            while True:
                t = self.peek()
                if t.val == ")":
                    self.next()
                    return
                prev_typ = self.parse_const_spec(self.doc_for_line(t.line), prev_typ)
        else:
            self.parse_const_spec(self.doc_for_line(line), None)

    def parse_const_spec(self, doc, prev_typ):
        name = self.next().val
        typ, value, ref = None, None, None
        t = self.peek(skip_nl=False)
        if t.kind == "newline" or t.val == ")":
            # implicit repetition of the previous expression (iota): typed like the previous
            self.skip_to_line_end()
            self.u.consts.append(ConstDecl(self.pkg, name, prev_typ, None, doc))
            return prev_typ
        if t.val != "=":
            typ = self.parse_type()
        self.expect("=", skip_nl=False)
        toks = []
        depth = 0
        while True:
            tk = self.toks[self.i]
            if tk.kind == "eof":
                break
            if tk.kind == "newline" and depth == 0 and self.ends_statement(toks[-1] if toks else None):
                break
            if tk.kind == "op" and tk.val == ")" and depth == 0:
                break
            self.i += 1
            if tk.kind == "comment":
                continue
            if tk.kind == "op" and tk.val in "([{":
                depth += 1
            elif tk.kind == "op" and tk.val in ")]}":
                depth -= 1
            toks.append(tk)
        if len(toks) == 1 and toks[0].kind in ("string", "rawstring"):
            value = unquote_go_string(toks[0].val)
        elif len(toks) == 1 and toks[0].kind == "ident" and toks[0].val not in ("iota", "true", "false"):
            ref = toks[0].val
        elif len(toks) == 4 and toks[0].kind == "ident" and toks[1].val == "(" \
                and toks[2].kind in ("string", "rawstring"):
            # Format("x") style conversion
            typ = typ or TypeRef("name", pkg=self.pkg, name=toks[0].val)
            value = unquote_go_string(toks[2].val)
        self.u.consts.append(ConstDecl(self.pkg, name, typ, value, doc, ref=ref))
        return typ

    def parse_func(self):
        recv_type, ptr = None, False
        if self.peek().val == "(":
            # receiver
            self.next()
            toks = []
            while self.peek().val != ")":
                toks.append(self.next())
            self.next()
            vals = [t.val for t in toks]
            ptr = "*" in vals
            idents = [t.val for t in toks if t.kind == "ident"]
            recv_type = idents[-1] if idents else None
        name = self.next().val
        if self.peek().val == "[":
            self.skip_balanced("[", "]")
        self.skip_balanced("(", ")")  # parameters
        # results, then body
        returns = None
        res_toks = []
        while True:
            t = self.peek(skip_nl=False)
            if t.val == "{" and t.kind == "op":
                break
            if t.kind in ("newline", "eof"):
                break  # declaration without body
            res_toks.append(self.next(skip_nl=False))
            if t.kind == "ident" and t.val in ("interface", "struct") \
                    and self.peek(skip_nl=False).val == "{":
                self.skip_balanced("{", "}")  # interface{} / struct{...} result type
        if self.peek(skip_nl=False).val == "{":
            start = self.i
            self.skip_balanced("{", "}")
            body = [t for t in self.toks[start:self.i] if t.kind not in ("comment", "newline")]
            returns = self._literal_return(body)
        if recv_type:
            self.u.pending_methods.append((self.pkg, recv_type, Method(name, ptr, returns)))

    @staticmethod
    def _literal_return(body):
        # { return "x" }  or  { return []string{"a", "b"} }
        vals = [t for t in body]
        if len(vals) < 3 or vals[1].val != "return":
            return None
        inner = vals[2:-1]
        if len(inner) == 1 and inner[0].kind == "string":
            return unquote_go_string(inner[0].val)
        if len(inner) >= 5 and [t.val for t in inner[:4]] == ["[", "]", "string", "{"]:
            return [unquote_go_string(t.val) for t in inner[4:-1] if t.kind == "string"]
        return None


def load_package(universe, pkg, paths):
    for p in paths:
        with open(p, encoding="utf-8") as f:
            src = f.read()
        Parser(universe, pkg, src, p).parse_file()


# --------------------------------------------------------------------------
# Schema generation (kube-openapi pkg/generators/openapi.go semantics)

class GenError(Exception):
    pass


def generate_description(lines):
    buf = []

    def del_prev():
        if buf:
            last = buf.pop()
            if len(last) > 1:
                buf.append(last[:-1])

    for line in lines:
        if line == "---":
            break
        line = line.rstrip(" ")
        leading = line.lstrip(" ")
        if len(line) == 0:
            del_prev()
            buf.append("\n\n")
        elif leading.startswith("TODO"):
            pass
        elif leading.startswith("+"):
            pass
        else:
            if line.startswith(" ") or line.startswith("\t"):
                del_prev()
                line = "\n" + line + "\n"
            else:
                line += " "
            buf.append(line)
    doc = "".join(buf).lstrip("\n").rstrip("\n")
    doc = doc.replace('\\"', '"')
    doc = doc.strip(" ")
    # kube-openapi writes the text into a Go string literal after escaping only
    # quotes, newlines and tabs; the Go compiler then interprets any other escape.
    return decode_go_escapes(doc)


class Generator:
    def __init__(self, universe):
        self.u = universe
        self.defs = {}
        self.queue = []
        self.queued = set()
        self.enums = self._find_enums()

    # -- type helpers
    def lookup(self, ref):
        if ref.kind != "name" or ref.pkg is None:
            return None
        return self.u.types.get((ref.pkg, ref.name))

    def resolve_alias_and_ptr(self, ref):
        """resolveAliasAndPtrType: follow named non-struct types and pointers."""
        seen = 0
        while seen < 50:
            seen += 1
            if ref.kind == "ptr":
                ref = ref.elem
                continue
            if ref.kind == "name" and ref.pkg is not None:
                ext = EXTERNAL_NAMED.get((ref.pkg, ref.name))
                if ext:
                    ref = TypeRef("name", name=ext[1])
                    continue
                d = self.lookup(ref)
                if d is not None and d.kind == "named":
                    ref = d.underlying
                    continue
            return ref
        raise GenError("type alias loop at %r" % (ref,))

    def type_string(self, ref):
        """gengo's t.String() for the builtin lookups."""
        if ref.kind == "name" and ref.pkg is None:
            return ref.name
        if ref.kind == "name" and ref.pkg == "time" and ref.name == "Time":
            return "time.Time"
        if ref.kind == "slice" and ref.elem.kind == "name" and ref.elem.pkg is None \
                and ref.elem.name in ("byte", "uint8"):
            return "[]byte"
        if ref.kind == "iface":
            return "interface{}"
        return None

    def _find_enums(self):
        enums = {}
        for key, d in self.u.types.items():
            if d.kind != "named" or "enum" not in extract_comment_tags(d.comments):
                continue
            u = d.underlying
            if u.kind == "name" and u.pkg is None and u.name == "string":
                enums[key] = []
        for c in self.u.consts:
            if c.typ is None or c.value is None or c.typ.kind != "name":
                continue
            key = (c.typ.pkg, c.typ.name)
            if key in enums and all(v[1] != c.value for v in enums[key]):
                enums[key].append((c.name, c.value, " ".join(c.comments)))
        return enums

    def enum_of(self, ref):
        if ref.kind == "ptr":
            ref = ref.elem
        if ref.kind != "name":
            return None
        vals = self.enums.get((ref.pkg, ref.name))
        return vals if vals is not None else None

    @staticmethod
    def enum_value_strings(vals):
        return [json.loads(q) for q in sorted(json.dumps(v[1]) for v in vals)]

    @staticmethod
    def enum_description_lines(vals):
        if not vals:
            return []
        lines = []
        for name, value, comment in vals:
            comment = comment.strip()
            if comment.startswith(name):
                comment = comment[len(name):]
            comment = re.sub(r"\s+", " ", comment.strip())
            lines.append(" - `%s` %s" % (json.dumps(value), comment))
        lines.sort()
        return ["", "Possible enum values:"] + lines

    def has_custom_unmarshal(self, ref):
        """implementsCustomUnmarshalling."""
        if ref.kind == "ptr":
            d = self.lookup(ref.elem)
            m = d.methods.get("UnmarshalJSON") if d else None
            return bool(m and m.ptr_receiver)
        d = self.lookup(ref)
        return bool(d and d.kind == "struct" and "UnmarshalJSON" in d.methods)

    def must_enforce_default(self, ref, omit_empty):
        if self.has_custom_unmarshal(ref):
            return None
        if ref.kind in ("ptr", "map", "slice", "array", "iface"):
            return None
        if ref.kind == "name" and ref.pkg is None:
            if omit_empty:
                return None
            if ref.name not in ZERO_VALUE:
                raise GenError("no zero value for %s" % ref.name)
            return ZERO_VALUE[ref.name]
        if ref.kind == "name" and ref.pkg == "time" and ref.name == "Time":
            return {}
        ext = EXTERNAL_NAMED.get((ref.pkg, ref.name)) if ref.kind == "name" else None
        if ext:
            return self.must_enforce_default(TypeRef("name", name=ext[1]), omit_empty)
        d = self.lookup(ref)
        if d is None:
            if (ref.pkg, ref.name) == (RUNTIME_PKG, "RawExtension"):
                return None
            raise GenError("unknown type %r" % (ref,))
        if d.kind == "named":
            return self.must_enforce_default(d.underlying, omit_empty)
        if len(d.members) == 1 and d.members[0].embedded:
            return self.must_enforce_default(d.members[0].typ, omit_empty)
        return {}

    def resolve_const_ref(self, pkg, name):
        for c in self.u.consts:
            if c.pkg == pkg and c.name == name:
                if c.value is None:
                    raise GenError("constant %s has no usable value" % name)
                return c.value
        raise GenError("default refers to unknown constant %s.%s" % (pkg, name))

    def default_from_comments(self, comments, pkg, ref):
        tag = None
        while True:
            vals = extract_comment_tags(comments).get("default")
            if vals:
                if len(vals) > 1:
                    raise GenError("multiple +default tags")
                tag = vals[0]
            if ref is None or tag:
                break
            d = None
            if ref.kind == "name" and ref.pkg is not None:
                d = self.lookup(ref)
            comments = d.comments if d else []
            pkg = ref.pkg if ref.kind == "name" and ref.pkg else pkg
            if ref.kind == "ptr":
                ref = ref.elem
            elif d is not None and d.kind == "named":
                ref = d.underlying
            else:
                ref = None
        if not tag:
            return None, False
        m = re.match(r"^ref\(([\w./]+)\)$", tag)
        if m:
            sym = m.group(1)
            if "." in sym:
                p, n = sym.rsplit(".", 1)
                return self.resolve_const_ref(p, n), True
            return self.resolve_const_ref(pkg, sym), True
        try:
            return json.loads(tag), True
        except ValueError as e:
            raise GenError("bad +default=%s: %s" % (tag, e))

    def default_for(self, comments, pkg, ref, omit_empty):
        val, found = self.default_from_comments(comments, pkg, ref)
        enforced = self.must_enforce_default(ref, omit_empty)
        if enforced is not None:
            if not found:
                return enforced, True
            if val != enforced:
                raise GenError("default %r conflicts with enforced %r" % (val, enforced))
        return val, found

    def reference(self, ref):
        if ref.kind != "name" or ref.pkg is None:
            raise GenError("cannot reference %r" % (ref,))
        key = (ref.pkg, ref.name)
        if key not in self.queued:
            self.queued.add(key)
            self.queue.append(key)
        return {"$ref": "#/components/schemas/" + definition_name(ref.pkg, ref.name)}

    # -- schemas of values
    def value_schema(self, ref, elem_default_ctx=None):
        """Schema of a map value or slice element (generateMapProperty/SliceProperty)."""
        schema = {}
        comments = []
        d = self.lookup(ref) if ref.kind == "name" else None
        if d is not None:
            comments = d.comments
        val, found = self.default_for(comments, ref.pkg if ref.kind == "name" else None,
                                      ref, False)
        if found:
            schema["default"] = val
        t = self.resolve_alias_and_ptr(ref)
        ts = self.type_string(t)
        if ts in TYPE_FORMAT:
            typ, fmt = TYPE_FORMAT[ts]
            schema["type"] = typ
            if fmt:
                schema["format"] = fmt
            return schema
        if t.kind == "map":
            schema.update(self.map_schema(t))
        elif t.kind in ("slice", "array"):
            schema.update(self.slice_schema(t))
        elif t.kind == "name":
            schema.update(self.reference(t))
        else:
            raise GenError("unsupported element type %r" % (t,))
        return schema

    def map_schema(self, t):
        k = self.resolve_alias_and_ptr(t.key)
        if self.type_string(k) != "string":
            raise GenError("map with non-string keys: %r" % (t,))
        return {"type": "object", "additionalProperties": self.value_schema(t.elem)}

    def slice_schema(self, t):
        return {"type": "array", "items": self.value_schema(t.elem)}

    def extensions(self, comments, errors_ok=True):
        tags = extract_comment_tags(comments)
        ext = {}
        for v in tags.get("k8s:openapi-gen", []):
            if v.startswith("x-kubernetes-"):
                parts = v.split(":", 1)
                if len(parts) == 2:
                    ext[parts[0]] = parts[1]
        for tag in sorted(tags):
            if tag not in TAG_TO_EXTENSION:
                continue
            xname, always_array = TAG_TO_EXTENSION[tag]
            values = tags[tag]
            ext[xname] = values if (always_array or len(values) > 1) else values[0]
        return ext

    def member_schema(self, m, parent):
        ext = self.extensions(m.comments)
        # validatePatchTags: struct tags and comment tags must agree
        for tag in ("patchStrategy", "patchMergeKey"):
            ctag = extract_comment_tags(m.comments).get(tag)
            cval = ctag[0] if ctag else ""
            if m.tags.get(tag, "") != cval:
                raise GenError("%s.%s: struct tag %s=%r but comment says %r" % (
                    parent.name, m.name, tag, m.tags.get(tag, ""), cval))
        schema = dict(ext)
        enum = self.enum_of(m.typ)
        desc = generate_description(m.comments + (self.enum_description_lines(enum) if enum else []))
        if desc:
            schema["description"] = desc
        parts = m.json_parts()
        if len(parts) > 1 and parts[1] == "string":
            schema["type"] = "string"
            return schema
        omit_empty = "omitempty" in m.tags.get("json", "")
        val, found = self.default_for(m.comments, parent.pkg, m.typ, omit_empty)
        if found:
            schema["default"] = val
        t = self.resolve_alias_and_ptr(m.typ)
        ts = self.type_string(t)
        if ts in TYPE_FORMAT:
            typ, fmt = TYPE_FORMAT[ts]
            schema["type"] = typ
            if fmt:
                schema["format"] = fmt
            if enum is not None and enum:
                schema["enum"] = self.enum_value_strings(enum)
            return schema
        if t.kind == "name" and t.pkg is None:
            raise GenError("%s.%s: unsupported builtin %s" % (parent.name, m.name, t.name))
        if t.kind == "map":
            schema.update(self.map_schema(t))
        elif t.kind in ("slice", "array"):
            schema.update(self.slice_schema(t))
        elif t.kind in ("name", "iface"):
            schema.update(self.reference(t))
        else:
            raise GenError("%s.%s: cannot generate spec for %r" % (parent.name, m.name, t))
        return schema

    def collect_members(self, d, props, required):
        for m in d.members:
            tags = extract_comment_tags(m.comments)
            if "false" in tags.get("k8s:openapi-gen", []):
                continue
            parts = m.json_parts()
            if len(parts) > 1 and parts[1] == "inline":
                inner = self.lookup(m.typ.elem if m.typ.kind == "ptr" else m.typ)
                if inner is None or inner.kind != "struct":
                    raise GenError("%s: cannot inline %r" % (d.name, m.typ))
                self.collect_members(inner, props, required)
                continue
            name = parts[0] if parts else m.name
            if name == "-" or not name:
                continue
            if "optional" not in tags and "omitempty" not in m.tags.get("json", ""):
                required.append(name)
            props[name] = self.member_schema(m, d)

    def unions(self, d):
        out = []
        tags = extract_comment_tags(d.comments)
        if "union" in tags:
            u = {"fields-to-discriminateBy": {}}
            for m in d.members:
                parts = m.json_parts()
                name = parts[0] if parts else m.name
                if name in ("", "-") or (len(parts) > 1 and parts[1] == "inline"):
                    continue
                mt = extract_comment_tags(m.comments)
                if "unionDiscriminator" in mt:
                    u["discriminator"] = name
                else:
                    u["fields-to-discriminateBy"][name] = m.name
            out.append(u)
        # unions declared on members (+unionDeprecated) and on inlined members
        members_union = {"fields-to-discriminateBy": {}}
        for m in d.members:
            parts = m.json_parts()
            if len(parts) > 1 and parts[1] == "inline":
                inner = self.lookup(m.typ)
                if inner is not None:
                    out.extend(self.unions(inner))
                continue
            name = parts[0] if parts else m.name
            mt = extract_comment_tags(m.comments)
            if "unionDiscriminator" in mt:
                members_union["discriminator"] = name
            if "unionDeprecated" in mt:
                members_union["fields-to-discriminateBy"][name] = m.name
        if members_union["fields-to-discriminateBy"]:
            out.append(members_union)
        return out

    def definition(self, key):
        pkg, name = key
        if key == (RUNTIME_PKG, "RawExtension"):
            return dict(RAW_EXTENSION_SCHEMA)
        d = self.u.types.get(key)
        if d is None:
            raise GenError("type %s.%s not found in the given sources" % (pkg, name))
        if d.kind != "struct":
            raise GenError("%s.%s is not a struct; it cannot be a definition" % (pkg, name))
        desc = generate_description(d.comments)
        st = d.methods.get("OpenAPISchemaType")
        sf = d.methods.get("OpenAPISchemaFormat")
        oneof = d.methods.get("OpenAPIV3OneOfTypes")
        if st and sf and isinstance(st.returns, list) and sf.returns is not None:
            schema = {}
            if desc:
                schema["description"] = desc
            if oneof and isinstance(oneof.returns, list):
                schema["oneOf"] = [{"type": x} for x in oneof.returns]
            else:
                schema["type"] = st.returns[0]
            if sf.returns:
                schema["format"] = sf.returns
            schema.update(self.extensions(d.comments))
            schema.update(PROJECT_EXTENSIONS.get(key, {}))
            return schema
        schema = {"type": "object"}
        if desc:
            schema["description"] = desc
        props, required = {}, []
        self.collect_members(d, props, required)
        if props:
            schema["properties"] = props
        if required:
            schema["required"] = required
        schema.update(self.extensions(d.comments))
        unions = self.unions(d)
        if unions:
            schema["x-kubernetes-unions"] = unions
        if key in GVK:
            schema["x-kubernetes-group-version-kind"] = [GVK[key]]
        return schema

    def run(self, roots):
        for key in roots:
            if key not in self.queued:
                self.queued.add(key)
                self.queue.append(key)
        while self.queue:
            key = self.queue.pop(0)
            self.defs[definition_name(*key)] = wrap_refs(self.definition(key))
        return {k: self.defs[k] for k in sorted(self.defs)}


def wrap_refs(schema):
    """builder3 wrapRefs: a $ref with sibling keys becomes allOf:[{$ref}] + siblings."""
    if isinstance(schema, list):
        return [wrap_refs(x) for x in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for k, v in schema.items():
        if k in ("properties",):
            out[k] = {pk: wrap_refs(pv) for pk, pv in v.items()}
        elif k in ("items", "additionalProperties", "allOf", "oneOf", "anyOf", "not"):
            out[k] = wrap_refs(v)
        else:
            out[k] = v
    if "$ref" in out and len(out) > 1:
        ref = out.pop("$ref")
        out["allOf"] = [{"$ref": ref}]
    return out


# --------------------------------------------------------------------------
# Self-check

def iter_refs(node, path="$"):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield path, v
            else:
                yield from iter_refs(v, path + "." + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from iter_refs(v, "%s[%d]" % (path, i))


def self_check(defs):
    """Return a list of failure messages (empty when everything holds)."""
    fails = []

    def get(path):
        node = defs
        for p in path:
            if not isinstance(node, dict) or p not in node:
                return None
            node = node[p]
        return node

    def expect(path, want):
        got = get(path)
        if got != want:
            fails.append("%s: want %r, got %r" % (".".join(path), want, got))

    core = "io.k8s.api.core.v1."
    meta = "io.k8s.apimachinery.pkg.apis.meta.v1."
    cp = [core + "PodSpec", "properties", "containers"]
    expect(cp + ["x-kubernetes-patch-merge-key"], "name")
    expect(cp + ["x-kubernetes-patch-strategy"], "merge")
    expect(cp + ["x-kubernetes-list-type"], "map")
    expect(cp + ["x-kubernetes-list-map-keys"], ["name"])
    expect(cp + ["items", "allOf"], [{"$ref": "#/components/schemas/" + core + "Container"}])
    cports = [core + "Container", "properties", "ports"]
    expect(cports + ["x-kubernetes-patch-merge-key"], "containerPort")
    expect(cports + ["x-kubernetes-patch-strategy"], "merge")
    expect(cports + ["x-kubernetes-list-type"], "map")
    expect(cports + ["x-kubernetes-list-map-keys"], ["containerPort", "protocol"])
    expect([core + "Container", "properties", "env", "x-kubernetes-patch-merge-key"], "name")
    expect([core + "Container", "properties", "env", "x-kubernetes-patch-strategy"], "merge")
    vols = [core + "PodSpec", "properties", "volumes"]
    expect(vols + ["x-kubernetes-patch-merge-key"], "name")
    expect(vols + ["x-kubernetes-patch-strategy"], "merge,retainKeys")
    expect(vols + ["x-kubernetes-list-type"], "map")
    expect(vols + ["x-kubernetes-list-map-keys"], ["name"])
    fin = [meta + "ObjectMeta", "properties", "finalizers"]
    expect(fin + ["x-kubernetes-patch-strategy"], "merge")
    expect(fin + ["x-kubernetes-list-type"], "set")
    own = [meta + "ObjectMeta", "properties", "ownerReferences"]
    expect(own + ["x-kubernetes-patch-merge-key"], "uid")
    expect(own + ["x-kubernetes-patch-strategy"], "merge")
    expect(own + ["x-kubernetes-list-type"], "map")
    expect(own + ["x-kubernetes-list-map-keys"], ["uid"])
    expect([core + "ServiceSpec", "properties", "ports", "x-kubernetes-list-map-keys"],
           ["port", "protocol"])
    expect([core + "Container", "required"], ["name"])
    expect([core + "PodSpec", "required"], ["containers"])
    expect([core + "Pod", "properties", "metadata", "allOf"],
           [{"$ref": "#/components/schemas/" + meta + "ObjectMeta"}])
    expect([core + "Pod", "properties", "metadata", "default"], {})
    expect([meta + "Time", "type"], "string")
    expect([meta + "Time", "format"], "date-time")
    expect([meta + "MicroTime", "format"], "date-time")
    expect(["io.k8s.apimachinery.pkg.api.resource.Quantity", "oneOf"],
           [{"type": "string"}, {"type": "number"}])
    expect(["io.k8s.apimachinery.pkg.util.intstr.IntOrString", "oneOf"],
           [{"type": "integer"}, {"type": "string"}])
    expect(["io.k8s.apimachinery.pkg.util.intstr.IntOrString", "format"], "int-or-string")
    expect(["io.k8s.apimachinery.pkg.util.intstr.IntOrString", "x-kubernetes-int-or-string"], True)
    expect([core + "Secret", "properties", "data", "additionalProperties"],
           {"type": "string", "format": "byte"})
    expect([core + "ContainerPort", "properties", "protocol", "default"], "TCP")
    expect([core + "Container", "properties", "imagePullPolicy", "enum"],
           ["Always", "IfNotPresent", "Never"])
    # 1.32-era fields
    for t, f in [("PodSpec", "schedulingGates"), ("PodSpec", "resourceClaims"),
                 ("PodSpec", "hostUsers"), ("PodSpec", "resources"),
                 ("Container", "resizePolicy"), ("ServiceSpec", "trafficDistribution"),
                 ("ResourceClaim", "request"), ("Volume", "image")]:
        if get([core + t, "properties", f]) is None:
            fails.append("%s%s.%s missing (not a 1.32 source?)" % (core, t, f))
    for kind in ROOT_KINDS:
        d = defs.get(core + kind)
        if d is None:
            fails.append("kind %s missing" % kind)
            continue
        if d.get("x-kubernetes-group-version-kind") != [
                {"group": "", "version": "v1", "kind": kind}]:
            fails.append("kind %s: bad x-kubernetes-group-version-kind" % kind)
        for p in ("apiVersion", "kind", "metadata"):
            if p not in d.get("properties", {}):
                fails.append("kind %s: no property %s" % (kind, p))
    # every $ref resolves, and refs only appear alone or inside allOf
    for path, ref in iter_refs(defs):
        prefix = "#/components/schemas/"
        if not ref.startswith(prefix) or ref[len(prefix):] not in defs:
            fails.append("%s: dangling $ref %s" % (path, ref))
    for name, d in defs.items():
        for path, node in _walk(d, name):
            if "$ref" in node and len(node) != 1:
                fails.append("%s: $ref with siblings (should be wrapped in allOf)" % path)
            if "properties" in node and node.get("type") != "object":
                fails.append("%s: properties without type object" % path)
    return fails


def _walk(node, path):
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from _walk(v, path + "." + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, "%s[%d]" % (path, i))


# --------------------------------------------------------------------------

def repo_root():
    return os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def default_out():
    return os.path.join(repo_root(), "plugins", "core", "schema", "core_v1_openapi.json")


def generate(core, meta, resource, intstr):
    u = Universe()
    load_package(u, CORE_PKG, core)
    load_package(u, META_PKG, meta)
    load_package(u, RESOURCE_PKG, resource)
    load_package(u, INTSTR_PKG, intstr)
    u.finish()
    roots = [(CORE_PKG, k) for k in ROOT_KINDS] + EXTRA_ROOTS
    return Generator(u).run(roots)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--core", nargs="+", default=[], help="k8s.io/api/core/v1 Go files")
    ap.add_argument("--meta", nargs="+", default=[],
                    help="k8s.io/apimachinery/pkg/apis/meta/v1 Go files")
    ap.add_argument("--resource", nargs="+", default=[],
                    help="k8s.io/apimachinery/pkg/api/resource Go files")
    ap.add_argument("--intstr", nargs="+", default=[],
                    help="k8s.io/apimachinery/pkg/util/intstr Go files")
    ap.add_argument("-o", "--out", default=None, help="output JSON file")
    ap.add_argument("--check", nargs="?", const="", default=None, metavar="FILE",
                    help="only self-check an existing output file")
    args = ap.parse_args(argv)

    if args.check is not None:
        path = args.check or args.out or default_out()
        with open(path, encoding="utf-8") as f:
            defs = json.load(f)
        fails = self_check(defs)
        for msg in fails:
            print("FAIL:", msg, file=sys.stderr)
        print("%s: %d definitions, %d check failures" % (path, len(defs), len(fails)))
        return 1 if fails else 0

    if not (args.core and args.meta and args.resource and args.intstr):
        ap.error("--core, --meta, --resource and --intstr are required (or use --check)")
    try:
        defs = generate(args.core, args.meta, args.resource, args.intstr)
    except (GenError, GoSyntaxError) as e:
        print("error:", e, file=sys.stderr)
        return 2
    fails = self_check(defs)
    for msg in fails:
        print("FAIL:", msg, file=sys.stderr)
    if fails:
        print("self-check failed; not writing output", file=sys.stderr)
        return 1
    out = args.out or default_out()
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(defs, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    print("wrote %s: %d definitions" % (out, len(defs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
