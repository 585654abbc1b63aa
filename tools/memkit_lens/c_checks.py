"""The checks of `memkit-lens check`, over one function's libclang AST at a time
(intraprocedural; docs/lens-check.md says what each one follows and what it does not).

- ML501  mk_alloc_current() with no intent scope (mk_intent_push, MK_INTENT_SCOPE,
         mk_with_intent) earlier in the function.
- ML201  frame memory stored into a global or static variable, or passed to pthread_create /
         thrd_create, other than through an mk_transfer_t.
- ML103  a pointer to frame memory used after mk_end_frame() in the function.
- ML104  an mk_frame_mark() checkpoint that some path leaves the function without rewinding
         (mk_frame_rewind) or releasing (mk_frame_mark_release).

ML501, ML201 and ML103 read the function once, in source order; ML104 follows its paths
(if/else, loops, switch, return, break, continue)."""
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Tuple

# A memkit function as the source names it. A call may reach it under a symbol prefix
# (MKG_SYMBOL_PREFIX: MK__SYMBOL(mk_calloc) is <prefix>mk_calloc), so names are matched by suffix.
INTENT_PUSH = ("mk_intent_push", "mk__with_intent_begin")   # MK_INTENT_SCOPE calls mk_intent_push
ALLOC_CURRENT = "mk_alloc_current"
END_FRAME = "mk_end_frame"
MARK = "mk_frame_mark"
MARK_CLOSE = ("mk_frame_rewind", "mk_frame_mark_release")
# Functions whose result is frame memory whatever their arguments.
FRAME_RESULT = ("mk_frame_grow", "mk_frame_printf", "mk_frame_vprintf", "mk_frame_str_cstr",
                "mk_frame_map_put_u64", "mk_frame_map_put_str", "mk_frame_map_put_strn",
                "mk_frame_map_get_u64", "mk_frame_map_get_str", "mk_frame_map_get_strn")
# Functions whose result is frame memory when their first argument is a frame intent.
INTENT_ALLOC = ("mk_alloc", "mk_alloc_aligned", "mk_calloc", "mk_realloc")
# Thread starts, and which argument reaches the new thread.
THREAD_START = {"pthread_create": 3, "thrd_create": 2}
# Calls after which a path does not go on (nothing is reported for it).
NO_RETURN = ("abort", "exit", "_Exit", "quick_exit", "longjmp", "siglongjmp", "__assert_fail",
             "pthread_exit", "thrd_exit")
KNOWN = (INTENT_PUSH + (ALLOC_CURRENT, END_FRAME, MARK) + MARK_CLOSE + FRAME_RESULT + INTENT_ALLOC)
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
# Marks that MK_FRAME_SCOPE() declares rewind themselves when their block exits.
SCOPE_MARK_PREFIX = "mk__scope_mark_"
# Frame containers: values of these types hold frame memory (MK_FRAME_VEC(T) is an anonymous
# struct, known by its mk__raw member).
FRAME_CONTAINER_TYPES = ("mk_frame_str", "mk_frame_map")
FRAME_VEC_MEMBER = "mk__raw"


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    column: int
    code: str
    message: str


def api_name(name: str) -> str:
    """The memkit or C library function a callee's name stands for, or the name itself."""
    if name in KNOWN or name in THREAD_START or name in NO_RETURN:
        return name
    best = ""
    for known in KNOWN:
        if name.endswith(known) and len(known) > len(best):
            best = known
    return best or name


class _Ast:
    """Small helpers over clang.cindex, which the caller loaded."""

    def __init__(self, cindex):
        self.K = cindex.CursorKind
        self.T = cindex.TypeKind
        self.S = cindex.StorageClass

    def strip(self, c):
        while c is not None and c.kind in (self.K.UNEXPOSED_EXPR, self.K.PAREN_EXPR, self.K.CSTYLE_CAST_EXPR):
            kids = list(c.get_children())
            if not kids:
                break
            c = kids[-1]
        return c

    def callee(self, call) -> str:
        return api_name(call.spelling or "")

    def args(self, call) -> List:
        return list(call.get_arguments())

    def op(self, c) -> str:
        """A binary operator's spelling, from the tokens between its operands ('' when the
        operator comes from a macro)."""
        kids = list(c.get_children())
        if len(kids) != 2:
            return ""
        end, start = kids[0].extent.end.offset, kids[1].extent.start.offset
        if end > start:
            return ""
        for tok in c.get_tokens():
            if end <= tok.extent.start.offset < start and tok.kind.name == "PUNCTUATION":
                return tok.spelling
        return ""

    def unary_op(self, c) -> str:
        kids = list(c.get_children())
        toks = list(c.get_tokens())
        if not kids or not toks:
            return ""
        if toks[0].extent.start.offset < kids[0].extent.start.offset:
            return toks[0].spelling
        return toks[-1].spelling

    def var(self, c):
        """The variable a DECL_REF_EXPR names, or None."""
        if c is None or c.kind != self.K.DECL_REF_EXPR:
            return None
        ref = c.referenced
        if ref is None or ref.kind not in (self.K.VAR_DECL, self.K.PARM_DECL):
            return None
        return ref

    def root_var(self, c):
        """The variable at the root of an lvalue: g, g.f, g->f, g[i], *g."""
        c = self.strip(c)
        while c is not None and c.kind in (self.K.MEMBER_REF_EXPR, self.K.ARRAY_SUBSCRIPT_EXPR,
                                           self.K.UNARY_OPERATOR):
            kids = list(c.get_children())
            if not kids:
                return None
            c = self.strip(kids[0])
        return self.var(c)

    def is_static_storage(self, v) -> bool:
        if v.kind != self.K.VAR_DECL:
            return False
        parent = v.semantic_parent
        return (parent is not None and parent.kind == self.K.TRANSLATION_UNIT) or v.storage_class == self.S.STATIC

    def is_frame_container(self, t) -> bool:
        """A frame container, or a pointer to one."""
        t = t.get_canonical()
        if t.kind == self.T.POINTER:
            t = t.get_pointee().get_canonical()
        decl = t.get_declaration()
        if decl is None or decl.kind not in (self.K.STRUCT_DECL,):
            return False
        if decl.spelling in FRAME_CONTAINER_TYPES:
            return True
        return any(c.kind == self.K.FIELD_DECL and c.spelling == FRAME_VEC_MEMBER for c in decl.walk_preorder())

    def pointerish(self, t) -> bool:
        return t.get_canonical().kind in (self.T.POINTER, self.T.RECORD, self.T.INCOMPLETEARRAY,
                                          self.T.CONSTANTARRAY)


def _key(v) -> Tuple[str, int]:
    return (v.spelling, v.extent.start.offset)


def _where(c) -> Tuple[int, int]:
    loc = c.extent.start if c.location.file is None else c.location
    return loc.line, loc.column


class _Function:
    def __init__(self, ast: _Ast, path: str, frame_intents: FrozenSet[str]):
        self.a, self.path, self.frame_intents = ast, path, frame_intents
        self.findings: List[Finding] = []

    def report(self, c, code: str, message: str):
        line, col = _where(c)
        self.findings.append(Finding(self.path, line, col, code, message))

    # ---- frame memory: which expressions hold it -----------------------------------------
    def frame_intent(self, arg) -> bool:
        for tok in arg.get_tokens():
            if tok.spelling in self.frame_intents:
                return True
        return False

    def is_frame(self, c, tainted: Dict) -> bool:
        K = self.a.K
        c = self.a.strip(c)
        if c is None:
            return False
        if c.kind == K.CALL_EXPR:
            name = self.a.callee(c)
            if name in FRAME_RESULT:
                return True
            args = self.a.args(c)
            return name in INTENT_ALLOC and bool(args) and self.frame_intent(args[0])
        if c.kind == K.DECL_REF_EXPR:
            v = self.a.var(c)
            return v is not None and (_key(v) in tainted or self.a.is_frame_container(v.type))
        if c.kind == K.MEMBER_REF_EXPR:
            kids = list(c.get_children())
            return bool(kids) and self.a.pointerish(c.type) and self.is_frame(kids[0], tainted)
        if c.kind == K.UNARY_OPERATOR:
            kids = list(c.get_children())
            op = self.a.unary_op(c)
            if not kids or op == "*":
                return False
            operand = self.a.strip(kids[0])
            if op == "&" and operand.kind == K.ARRAY_SUBSCRIPT_EXPR:
                return self.is_frame(list(operand.get_children())[0], tainted)
            return self.is_frame(operand, tainted)
        if c.kind == K.BINARY_OPERATOR:
            # pointer arithmetic, and the comma of sentinel builds' MK__SITE(call) wrappers
            return self.a.pointerish(c.type) and any(self.is_frame(k, tainted) for k in c.get_children())
        if c.kind == K.CONDITIONAL_OPERATOR:
            return any(self.is_frame(k, tainted) for k in list(c.get_children())[1:])
        return False

    # ---- ML501, ML201, ML103: one pass in source order ---------------------------------------
    def linear(self, body):
        self.scoped = False
        self.tainted: Dict[Tuple[str, int], object] = {}   # variables holding frame memory
        self.stale: Dict[Tuple[str, int], int] = {}        # ... since an mk_end_frame (its line)
        self.visit(body)

    def assign(self, lhs, rhs, at):
        a = self.a
        frame = self.is_frame(rhs, self.tainted)
        lhs_s = a.strip(lhs)
        root = a.root_var(lhs_s)
        if root is None:
            return
        if frame and a.is_static_storage(root):
            scope = "global" if root.semantic_parent.kind == a.K.TRANSLATION_UNIT else "static"
            self.report(at, "ML201", f"frame memory stored into {scope} '{root.spelling}': another "
                        "thread can reach it without a transfer "
                        "(pass an mk_transfer_t, or allocate from a pool or heap intent)")
        whole = a.var(lhs_s) is not None
        if whole:
            self.stale.pop(_key(root), None)
            if frame:
                self.tainted[_key(root)] = at
            else:
                self.tainted.pop(_key(root), None)
        elif frame:   # a member or element of a local now holds frame memory
            self.tainted[_key(root)] = at

    def visit(self, c):
        a, K = self.a, self.a.K
        kind = c.kind
        if kind == K.CALL_EXPR:
            for arg in a.args(c):
                self.visit(arg)
            self.call(c)
            return
        if kind == K.BINARY_OPERATOR:
            op = a.op(c)
            if op == "=":
                lhs, rhs = list(c.get_children())
                self.visit(rhs)
                self.assign(lhs, rhs, c)
                if a.var(a.strip(lhs)) is None:
                    self.visit(lhs)
                return
            if op in COMPARISONS:   # comparing addresses does not touch the memory
                for k in c.get_children():
                    self.visit_address(k)
                return
        if kind == K.VAR_DECL:
            kids = [k for k in c.get_children() if k.kind.is_expression()]
            if kids:
                self.visit(kids[-1])
                if self.is_frame(kids[-1], self.tainted):
                    self.tainted[_key(c)] = c
            return
        if kind == K.DECL_REF_EXPR:
            v = a.var(c)
            if v is not None and _key(v) in self.stale:
                line = self.stale.pop(_key(v))
                self.report(c, "ML103", f"'{v.spelling}' points to frame memory and is used after "
                            f"mk_end_frame() (line {line}); its frame has ended")
            return
        for k in c.get_children():
            self.visit(k)

    def visit_address(self, c):
        """An operand of a comparison: p, or p + n, is only an address there."""
        c = self.a.strip(c)
        if self.a.var(c) is not None:
            return
        if c.kind == self.a.K.BINARY_OPERATOR and self.a.pointerish(c.type):
            for k in c.get_children():
                self.visit_address(k)
            return
        self.visit(c)

    def call(self, c):
        name = self.a.callee(c)
        if name in INTENT_PUSH:
            self.scoped = True
        elif name == ALLOC_CURRENT and not self.scoped:
            self.report(c, "ML501", "mk_alloc_current() with no intent scope in this function "
                        "(push one with MK_INTENT_SCOPE, mk_with_intent or mk_intent_push, or pass "
                        "the intent to mk_alloc)")
        elif name == END_FRAME:
            line = _where(c)[0]
            for key in self.tainted:
                self.stale.setdefault(key, line)
        elif name in THREAD_START:
            args = self.a.args(c)
            index = THREAD_START[name]
            if len(args) > index and self.is_frame(args[index], self.tainted):
                self.report(args[index], "ML201", f"frame memory passed to {name}(): the new thread "
                            "reaches it without a transfer (hand it over with mk_transfer_init / "
                            "mk_transfer_accept)")

    # ---- ML104: paths --------------------------------------------------------------------------
    def paths(self, body):
        self.jumps: List[Dict] = []            # innermost loop or switch last: its exit states
        self.leaked = set()
        end = self.exec(body, {})
        if end is not None:
            self.leave(end, body, at_end=True)

    def leave(self, state: Dict, at, at_end=False):
        line = at.extent.end.line if at_end else _where(at)[0]
        for key, (name, mark) in sorted(state.items(), key=lambda kv: kv[1][1].extent.start.offset):
            if key in self.leaked:
                continue
            self.leaked.add(key)
            how = "at its end" if at_end else "by the return"
            self.report(mark, "ML104", f"checkpoint '{name}' (mk_frame_mark) is neither rewound nor "
                        f"released on a path that leaves the function {how} at line {line} "
                        "(call mk_frame_rewind or mk_frame_mark_release on every path, or use MK_FRAME_SCOPE)")

    @staticmethod
    def merge(*states) -> Optional[Dict]:
        live = [s for s in states if s is not None]
        if not live:
            return None
        out: Dict = {}
        for s in live:
            out.update(s)
        return out

    def exec(self, c, state: Optional[Dict]) -> Optional[Dict]:
        K = self.a.K
        if state is None and c.kind not in (K.LABEL_STMT, K.CASE_STMT, K.DEFAULT_STMT, K.COMPOUND_STMT):
            return None
        kids = list(c.get_children())
        kind = c.kind
        if kind == K.COMPOUND_STMT:
            for k in kids:
                state = self.exec(k, state)
            return state
        if kind == K.IF_STMT:
            state = self.events(kids[0], state)
            if state is None:
                return None
            then = self.exec(kids[1], dict(state))
            other = self.exec(kids[2], dict(state)) if len(kids) > 2 else state
            return self.merge(then, other)
        if kind in (K.WHILE_STMT, K.FOR_STMT, K.DO_STMT):
            for k in kids[:-1] if kind != K.DO_STMT else kids[1:]:
                state = self.events(k, state)
            if state is None:
                return None
            self.jumps.append({"loop": True, "exits": []})
            end = self.exec(kids[-1] if kind != K.DO_STMT else kids[0], dict(state))
            exits = self.jumps.pop()["exits"]
            return self.merge(end, *exits) if kind == K.DO_STMT else self.merge(state, end, *exits)
        if kind == K.SWITCH_STMT:
            state = self.events(kids[0], state)
            if state is None:
                return None
            self.jumps.append({"loop": False, "exits": [], "entry": state, "default": False})
            end = self.exec(kids[-1], None)
            ctx = self.jumps.pop()
            return self.merge(end, *ctx["exits"], None if ctx["default"] else state)
        if kind in (K.CASE_STMT, K.DEFAULT_STMT):
            switch = next((j for j in reversed(self.jumps) if not j["loop"]), None)
            if switch is not None:
                state = self.merge(state, switch["entry"])
                switch["default"] |= kind == K.DEFAULT_STMT
            return self.exec(kids[-1], state) if kids else state
        if kind == K.BREAK_STMT:
            if self.jumps:
                self.jumps[-1]["exits"].append(state)
            return None
        if kind == K.CONTINUE_STMT:
            loop = next((j for j in reversed(self.jumps) if j["loop"]), None)
            if loop is not None:
                loop["exits"].append(state)
            return None
        if kind == K.RETURN_STMT:
            for k in kids:
                state = self.events(k, state)
            if state is not None:
                self.leave(state, c)
            return None
        if kind in (K.GOTO_STMT, K.INDIRECT_GOTO_STMT):
            return None        # not followed (docs/lens-check.md)
        if kind == K.LABEL_STMT:
            return self.exec(kids[-1], state if state is not None else {}) if kids else state
        return self.events(c, state)

    def events(self, c, state: Optional[Dict], parent=None) -> Optional[Dict]:
        """Marks opened, closed or handed elsewhere by one statement or expression, in order;
        None after a call that does not return."""
        if state is None:
            return None
        a, K = self.a, self.a.K
        kind = c.kind
        if kind == K.VAR_DECL:
            kids = [k for k in c.get_children() if k.kind.is_expression()]
            if kids:
                state = self.events(kids[-1], state, c)
                init = a.strip(kids[-1])
                if state is not None and init.kind == K.CALL_EXPR and a.callee(init) == MARK \
                        and not c.spelling.startswith(SCOPE_MARK_PREFIX) and not a.is_static_storage(c):
                    state = dict(state)
                    state[_key(c)] = (c.spelling, init)
            return state
        if kind == K.BINARY_OPERATOR and a.op(c) == "=":
            lhs, rhs = list(c.get_children())
            v = a.var(a.strip(lhs))
            state = self.events(rhs, state, c)
            init = a.strip(rhs)
            if state is not None and v is not None and init.kind == K.CALL_EXPR and a.callee(init) == MARK \
                    and not a.is_static_storage(v):   # a mark kept in a global is other code's to close
                state = dict(state)
                state[_key(v)] = (v.spelling, init)
                return state
            return self.events(lhs, state, c) if v is None else state
        if kind == K.CALL_EXPR:
            name = a.callee(c)
            args = a.args(c)
            if name in MARK_CLOSE and args:
                v = a.root_var(args[0])
                if v is not None and _key(v) in state:
                    state = dict(state)
                    del state[_key(v)]
                    return state
            for arg in args:
                state = self.events(arg, state, c)
            return None if name in NO_RETURN else state
        if kind == K.DECL_REF_EXPR:
            v = a.var(c)
            if v is not None and _key(v) in state and (parent is None or parent.kind != K.MEMBER_REF_EXPR):
                state = dict(state)          # handed to other code (&mark, a copy, returned): its
                del state[_key(v)]           # rewind or release is not this function's to follow
            return state
        for k in c.get_children():
            state = self.events(k, state, c)
            if state is None:
                return None
        return state


def check_translation_unit(cindex, tu, path: str, frame_intents: FrozenSet[str]) -> List[Finding]:
    """Findings for the functions defined in `path` (not those of the headers it includes)."""
    ast = _Ast(cindex)
    findings: List[Finding] = []
    for fn in tu.cursor.get_children():
        if fn.kind != ast.K.FUNCTION_DECL or not fn.is_definition():
            continue
        if fn.location.file is None or fn.location.file.name != tu.spelling:
            continue
        body = next((k for k in fn.get_children() if k.kind == ast.K.COMPOUND_STMT), None)
        if body is None:
            continue
        f = _Function(ast, path, frame_intents)
        f.linear(body)
        f.paths(body)
        findings.extend(f.findings)
    return sorted(set(findings), key=lambda x: (x.path, x.line, x.column, x.code, x.message))
