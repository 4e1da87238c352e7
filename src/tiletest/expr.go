package tiletest

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Expr is a double-parentheses expression of a manifest snippet, such as
// (( .properties.container_subnet.value )), resolved against the product
// template: the kind of value Ops Manager puts in its place, the property
// blueprints it reads, and its value with every form at its default.
type Expr struct {
	// Text is the expression as written, without the parentheses.
	Text string
	Kind Kind
	// ElemKind is the kind of a list's elements, KindAny when unknown.
	ElemKind Kind
	// Refs are the blueprints the expression reads: .properties.NAME for
	// the product's, .JOB_TYPE.NAME for a job type's.
	Refs []string
	// Value is what Ops Manager renders with the forms at their defaults
	// (nil: nothing, the job property keeps its spec default), unless
	// Dynamic: a value Ops Manager or BOSH only knows when it deploys
	// (generated credentials, BOSH variables, Ops Manager's own settings).
	Value   any
	Dynamic bool
}

// accessor is what an accessor of a blueprint type gives.
type accessor struct {
	kind, elem Kind
	// value is the accessor's value for the blueprint's default; dynamic
	// accessors (generated credentials) have none.
	value func(def any) any
}

func asIs(def any) any { return def }

// splitList is what Ops Manager's parsed_* accessors make of a
// comma-separated default: the entries, trimmed, without empty ones.
func splitList(def any) any {
	switch d := def.(type) {
	case nil:
		return nil
	case []any:
		return d
	case string:
		out := []any{}
		for _, s := range strings.Split(d, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	default:
		return d
	}
}

// The accessors of each blueprint type, from Ops Manager's property
// reference. Note that string_list's, ip_ranges' and network_address_list's
// value is one comma-separated string: a list property needs their parsed_*
// accessor.
var accessors = func() map[string]map[string]accessor {
	str := accessor{kind: KindString, value: asIs}
	generated := accessor{kind: KindString}
	m := map[string]map[string]accessor{
		"integer":                          {"value": {kind: KindInteger, value: asIs}},
		"port":                             {"value": {kind: KindInteger, value: asIs}},
		"boolean":                          {"value": {kind: KindBoolean, value: asIs}},
		"string_list":                      {"value": str, "parsed_strings": {kind: KindList, elem: KindString, value: splitList}, "parsed_regex": generated},
		"ip_ranges":                        {"value": str, "parsed_ip_ranges": {kind: KindList, elem: KindString, value: splitList}},
		"network_address_list":             {"value": str, "parsed_network_addresses": {kind: KindList, elem: KindString, value: splitList}},
		"multi_select_options":             {"value": {kind: KindList, elem: KindString, value: asIs}},
		"service_network_az_multi_select":  {"value": {kind: KindList, elem: KindString, value: asIs}},
		"collection":                       {"value": {kind: KindList, elem: KindMap, value: asIs}},
		"wildcard_domain":                  {"value": str, "to_wildcard": generated},
		"secret":                           {"value": generated},
		"uuid":                             {"value": generated},
		"simple_credentials":               {"identity": generated, "password": generated},
		"salted_credentials":               {"identity": generated, "password": generated, "salt": generated, "sha512_hashed_password": generated},
		"rsa_cert_credentials":             {"cert_pem": generated, "private_key_pem": generated, "public_key_pem": generated, "cert_and_private_key_pems": generated},
		"rsa_pkey_credentials":             {"public_key_pem": generated, "private_key_pem": generated, "public_key_openssh": generated, "public_key_fingerprint": generated},
		"selector":                         {"value": str},
		"service_network_az_single_select": {"value": str},
	}
	for _, t := range []string{"string", "text", "dropdown_select", "ip_address", "network_address", "domain",
		"http_url", "ldap_url", "email", "ca_certificate", "smtp_authentication", "vm_type_dropdown",
		"disk_type_dropdown", "network_name"} {
		m[t] = map[string]accessor{"value": str}
	}
	return m
}()

// jobAccessors are what Ops Manager gives a job type's snippet about the
// job type itself, written without a dot: (( instances )).
var jobAccessors = map[string]Kind{
	"name": KindString, "cpu": KindInteger, "ram": KindInteger, "ephemeral_disk": KindInteger,
	"persistent_disk": KindInteger, "instances": KindInteger, "any_instances": KindBoolean,
	"subnet_cidrs": KindList,
}

// scope is where an expression is evaluated: in the product template, and
// in a job type's snippet (job is nil elsewhere).
type scope struct {
	pt  *ProductTemplate
	job *JobType
}

// blueprints lists every property blueprint of the product by its
// reference: .properties.NAME, and .JOB_TYPE.NAME for job types'.
func (pt *ProductTemplate) blueprints() map[string]*PropertyBlueprint {
	out := map[string]*PropertyBlueprint{}
	for i := range pt.PropertyBlueprints {
		out[".properties."+pt.PropertyBlueprints[i].Name] = &pt.PropertyBlueprints[i]
	}
	for j := range pt.JobTypes {
		jt := &pt.JobTypes[j]
		for i := range jt.PropertyBlueprints {
			out["."+jt.Name+"."+jt.PropertyBlueprints[i].Name] = &jt.PropertyBlueprints[i]
		}
	}
	return out
}

// Resolve resolves one expression (the text between the parentheses).
func (s scope) Resolve(text string) (Expr, error) {
	text = strings.TrimSpace(text)
	e := Expr{Text: text, ElemKind: KindAny}
	primary, fallback, hasFallback := strings.Cut(text, "||")
	primary = strings.TrimSpace(primary)
	if err := s.resolvePrimary(primary, &e); err != nil {
		return e, fmt.Errorf("(( %s )): %w", text, err)
	}
	if hasFallback {
		var lit any
		if err := yaml.Unmarshal([]byte(strings.TrimSpace(fallback)), &lit); err != nil {
			return e, fmt.Errorf("(( %s )): the value after || is not a YAML value: %w", text, err)
		}
		if k := kindOf(lit); k != e.Kind && k != KindNull && e.Kind != KindAny {
			return e, fmt.Errorf("(( %s )): the value after || is %s, but %s gives %s", text, article(k), primary, article(e.Kind))
		}
		if e.Value == nil && !e.Dynamic {
			e.Value = lit
		}
	}
	return e, nil
}

func (s scope) resolvePrimary(ref string, e *Expr) error {
	switch {
	case ref == "":
		return errors.New("the expression is empty")
	case strings.HasPrefix(ref, "$"):
		// Ops Manager's, the director's and the runtime's settings.
		e.Kind, e.Dynamic = KindAny, true
		return nil
	case strings.HasPrefix(ref, ".."):
		// Another product's property: not in this template.
		e.Kind, e.Dynamic = KindAny, true
		return nil
	}
	if !strings.Contains(ref, ".") {
		kind, ok := jobAccessors[ref]
		if !ok {
			return fmt.Errorf("%s is not a property reference (.properties.NAME.ACCESSOR, .JOB_TYPE.NAME.ACCESSOR) nor a job accessor (%s)", ref, strings.Join(sortedKeys(jobAccessors), ", "))
		}
		if s.job == nil {
			return fmt.Errorf("the job accessor %s is only known in a job type's manifest snippets", ref)
		}
		e.Kind, e.Dynamic = kind, true
		return nil
	}

	var key string
	var rest []string
	parts := strings.Split(strings.TrimPrefix(ref, "."), ".")
	switch {
	case !strings.HasPrefix(ref, "."):
		// NAME.ACCESSOR: a blueprint of the job type being evaluated.
		if s.job == nil {
			return fmt.Errorf("%s names a job type's property without the job type, which only works in a job type's snippets: write .JOB_TYPE.%s", ref, ref)
		}
		key, rest = "."+s.job.Name+"."+parts[0], parts[1:]
	case len(parts) >= 2:
		key, rest = "."+parts[0]+"."+parts[1], parts[2:]
	default:
		return fmt.Errorf("%s is not a property reference: write .properties.NAME.ACCESSOR or .JOB_TYPE.NAME.ACCESSOR", ref)
	}
	if !strings.HasPrefix(key, ".properties.") && s.pt.JobType(strings.Split(key, ".")[1]) == nil {
		return fmt.Errorf("%s names job type %s, which the product template does not have", ref, strings.Split(key, ".")[1])
	}
	bp, ok := s.pt.blueprints()[key]
	if !ok {
		return fmt.Errorf("%s names property %s, which has no property blueprint", ref, key)
	}
	e.Refs = append(e.Refs, key)
	if len(rest) == 0 {
		return fmt.Errorf("%s has no accessor: write %s.value, or another accessor of %s", ref, ref, article(bp.Type))
	}
	accs, ok := accessors[bp.Type]
	if !ok {
		return fmt.Errorf("property %s has blueprint type %q, which this package does not know", key, bp.Type)
	}
	if bp.Type == "selector" && (len(rest) > 1 || rest[0] != "value") {
		return fmt.Errorf("%s reads a selector's option groups, which these checks do not follow: only .value of a selector is checked", ref)
	}
	if bp.Type == "collection" && strings.HasPrefix(rest[0], "parsed_manifest(") {
		e.Kind, e.Dynamic = KindAny, true
		return nil
	}
	acc, ok := accs[rest[0]]
	if !ok || len(rest) > 1 {
		return fmt.Errorf("%s: %s has no accessor %s (it has %s)", ref, article(bp.Type), strings.Join(rest, "."), strings.Join(sortedKeys(accs), ", "))
	}
	e.Kind, e.ElemKind = acc.kind, acc.elem
	if e.ElemKind == "" {
		e.ElemKind = KindAny
	}
	if acc.value == nil {
		e.Dynamic = true
		return nil
	}
	e.Value = acc.value(bp.Default)
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Interp is a string with expressions inside it (prefix-(( x.value ))):
// always a string.
type Interp struct {
	// Text is the string as written, with its expressions.
	Text  string
	Exprs []Expr
	// render fills in the defaults.
	parts []any
}

// The expressions of a snippet: BOSH's triple-parentheses variables, which
// Ops Manager passes on to BOSH, and Ops Manager's own double-parentheses.
var exprPattern = regexp.MustCompile(`\(\(\((.*?)\)\)\)|\(\((.*?)\)\)`)

const tokenPrefix = "__tiletest_expr_"

var tokenPattern = regexp.MustCompile(tokenPrefix + `([0-9]+)__`)

// ParseSnippet parses a manifest snippet of job type job (nil outside job
// types) the way Ops Manager renders it: every expression is replaced by a
// placeholder, the snippet parsed as YAML, and each placeholder becomes an
// *Expr (a whole value) or an *Interp (an expression inside a string).
// Expressions that cannot be resolved are returned as errors, each naming
// the expression, and are left in the tree as values of any kind.
func (pt *ProductTemplate) ParseSnippet(job *JobType, snippet string) (any, []error) {
	s := scope{pt: pt, job: job}
	var exprs []Expr
	var errs []error
	replaced := exprPattern.ReplaceAllStringFunc(snippet, func(m string) string {
		sub := exprPattern.FindStringSubmatch(m)
		var e Expr
		if strings.HasPrefix(m, "(((") {
			// A BOSH variable: BOSH fills it in at deploy time.
			e = Expr{Text: "(( " + strings.TrimSpace(sub[1]) + " ))", Kind: KindAny, ElemKind: KindAny, Dynamic: true}
		} else {
			var err error
			e, err = s.Resolve(sub[2])
			if err != nil {
				errs = append(errs, err)
				e.Kind, e.ElemKind, e.Dynamic = KindAny, KindAny, true
			}
		}
		exprs = append(exprs, e)
		return fmt.Sprintf("%s%d__", tokenPrefix, len(exprs)-1)
	})
	var tree any
	if err := yaml.Unmarshal([]byte(replaced), &tree); err != nil {
		return nil, append(errs, fmt.Errorf("the snippet is not YAML once its expressions are filled in: %w", err))
	}
	tree, err := substitute(tree, exprs)
	if err != nil {
		errs = append(errs, err)
	}
	return tree, errs
}

// substitute replaces the placeholders of a parsed snippet by their
// expressions.
func substitute(node any, exprs []Expr) (any, error) {
	switch n := node.(type) {
	case string:
		locs := tokenPattern.FindAllStringSubmatchIndex(n, -1)
		if len(locs) == 0 {
			return n, nil
		}
		exprAt := func(loc []int) Expr {
			var i int
			fmt.Sscanf(n[loc[2]:loc[3]], "%d", &i)
			return exprs[i]
		}
		if len(locs) == 1 && locs[0][0] == 0 && locs[0][1] == len(n) {
			e := exprAt(locs[0])
			return &e, nil
		}
		in := &Interp{}
		text := ""
		last := 0
		for _, loc := range locs {
			e := exprAt(loc)
			in.parts = append(in.parts, n[last:loc[0]], e)
			in.Exprs = append(in.Exprs, e)
			text += n[last:loc[0]] + "(( " + e.Text + " ))"
			last = loc[1]
		}
		in.parts = append(in.parts, n[last:])
		in.Text = text + n[last:]
		return in, nil
	case []any:
		out := make([]any, len(n))
		for i, v := range n {
			s, err := substitute(v, exprs)
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(n))
		for k, v := range n {
			if tokenPattern.MatchString(k) {
				return nil, fmt.Errorf("the key %q holds an expression; property names must be written out", tokenPattern.ReplaceAllString(k, "(( ... ))"))
			}
			s, err := substitute(v, exprs)
			if err != nil {
				return nil, err
			}
			out[k] = s
		}
		return out, nil
	default:
		return n, nil
	}
}

// kindOfValue is the kind of a (part of a) parsed snippet, and of its
// elements when it is a list.
func kindOfValue(v any) (Kind, Kind) {
	switch n := v.(type) {
	case *Expr:
		return n.Kind, n.ElemKind
	case *Interp:
		return KindString, KindAny
	case []any:
		elem := KindAny
		for i, item := range n {
			k, _ := kindOfValue(item)
			if i == 0 {
				elem = k
			} else if k != elem {
				elem = KindAny
			}
		}
		return KindList, elem
	default:
		return kindOf(v), KindAny
	}
}

// render is the value of (a part of) a parsed snippet with every form at
// its default; dynamic when part of it is only known at deploy time.
func render(v any) (value any, dynamic bool) {
	switch n := v.(type) {
	case *Expr:
		return n.Value, n.Dynamic
	case *Interp:
		var b strings.Builder
		for _, p := range n.parts {
			switch q := p.(type) {
			case string:
				b.WriteString(q)
			case Expr:
				if q.Dynamic {
					dynamic = true
				}
				if q.Value != nil {
					fmt.Fprint(&b, q.Value)
				}
			}
		}
		return b.String(), dynamic
	case []any:
		out := make([]any, len(n))
		for i, item := range n {
			var d bool
			out[i], d = render(item)
			dynamic = dynamic || d
		}
		return out, dynamic
	case map[string]any:
		out := make(map[string]any, len(n))
		for k, item := range n {
			var d bool
			out[k], d = render(item)
			dynamic = dynamic || d
		}
		return out, dynamic
	default:
		return n, false
	}
}

// refsOf lists the blueprints (a part of) a parsed snippet reads.
func refsOf(v any, into map[string]bool) {
	switch n := v.(type) {
	case *Expr:
		for _, r := range n.Refs {
			into[r] = true
		}
	case *Interp:
		for _, e := range n.Exprs {
			for _, r := range e.Refs {
				into[r] = true
			}
		}
	case []any:
		for _, item := range n {
			refsOf(item, into)
		}
	case map[string]any:
		for _, item := range n {
			refsOf(item, into)
		}
	}
}

// describe shows a value in a message, on one line: strings in quotes
// (not escaped, so Windows paths read as written), lists and maps in flow
// style, expressions as written.
func describe(v any) string {
	switch n := v.(type) {
	case nil:
		return "nothing (unset)"
	case *Expr:
		return "(( " + n.Text + " ))"
	case *Interp:
		return `"` + n.Text + `"`
	case string:
		return `"` + n + `"`
	case []any:
		parts := make([]string, len(n))
		for i, item := range n {
			parts[i] = describe(item)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		parts := make([]string, 0, len(n))
		for _, k := range sortedKeys(n) {
			parts = append(parts, k+": "+describe(n[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	default:
		return fmt.Sprint(n)
	}
}
