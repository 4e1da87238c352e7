package tiletest_test

import (
	"github.com/garden-windows/garden-windows-release/tiletest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// exprTemplate is a small product template with a blueprint of each kind
// the expressions below read.
const exprTemplate = `
name: example
property_blueprints:
- {name: s, type: string, configurable: true, default: hello}
- {name: n, type: integer, configurable: true, default: 7}
- {name: p, type: port, configurable: true, default: 8080}
- {name: b, type: boolean, configurable: true, default: true}
- {name: d, type: dropdown_select, configurable: true, default: x, options: [{name: x, label: X}]}
- {name: list, type: string_list, configurable: true, default: 'a, b,,c'}
- {name: empty, type: string_list, configurable: true, optional: true}
- {name: ranges, type: ip_ranges, configurable: true, default: '10.0.0.1-10.0.0.9'}
- {name: multi, type: multi_select_options, configurable: true, default: [x], options: [{name: x, label: X}]}
- {name: secret, type: secret}
- {name: creds, type: simple_credentials}
- {name: sel, type: selector, configurable: true, default: A}
job_types:
- name: cell
  property_blueprints:
  - {name: max, type: integer, configurable: true, default: 3}
  templates: []
`

var _ = Describe("manifest snippet expressions", func() {
	var pt *tiletest.ProductTemplate
	BeforeEach(func() {
		var err error
		pt, err = tiletest.ParseMetadata([]byte(exprTemplate))
		Expect(err).NotTo(HaveOccurred())
	})

	// parse parses "v: SNIPPET_VALUE" in job type cell and returns v.
	parse := func(value string) any {
		GinkgoHelper()
		tree, errs := pt.ParseSnippet(pt.JobType("cell"), "v: "+value+"\n")
		Expect(errs).To(BeEmpty())
		return tree.(map[string]any)["v"]
	}
	parseErr := func(job *tiletest.JobType, value string) error {
		GinkgoHelper()
		_, errs := pt.ParseSnippet(job, "v: "+value+"\n")
		Expect(errs).To(HaveLen(1))
		return errs[0]
	}

	DescribeTable("give each accessor's kind and default",
		func(expr string, kind tiletest.Kind, value any, refs []string) {
			e, ok := parse(expr).(*tiletest.Expr)
			Expect(ok).To(BeTrue(), "%s should be a whole-value expression", expr)
			Expect(e.Kind).To(Equal(kind))
			Expect(e.Dynamic).To(BeFalse())
			Expect(e.Value).To(Equal(value))
			Expect(e.Refs).To(Equal(refs))
		},
		Entry("string", "(( .properties.s.value ))", tiletest.KindString, "hello", []string{".properties.s"}),
		Entry("integer", "(( .properties.n.value ))", tiletest.KindInteger, 7, []string{".properties.n"}),
		Entry("port", "(( .properties.p.value ))", tiletest.KindInteger, 8080, []string{".properties.p"}),
		Entry("boolean", "((.properties.b.value))", tiletest.KindBoolean, true, []string{".properties.b"}),
		Entry("dropdown", "(( .properties.d.value ))", tiletest.KindString, "x", []string{".properties.d"}),
		Entry("string_list's value: one comma-separated string", "(( .properties.list.value ))", tiletest.KindString, "a, b,,c", []string{".properties.list"}),
		Entry("string_list parsed", "(( .properties.list.parsed_strings ))", tiletest.KindList, []any{"a", "b", "c"}, []string{".properties.list"}),
		Entry("empty optional list with a fallback", "(( .properties.empty.parsed_strings || [] ))", tiletest.KindList, []any{}, []string{".properties.empty"}),
		Entry("a fallback not taken", "(( .properties.list.parsed_strings || [] ))", tiletest.KindList, []any{"a", "b", "c"}, []string{".properties.list"}),
		Entry("ip ranges parsed", "(( .properties.ranges.parsed_ip_ranges ))", tiletest.KindList, []any{"10.0.0.1-10.0.0.9"}, []string{".properties.ranges"}),
		Entry("multi select", "(( .properties.multi.value ))", tiletest.KindList, []any{"x"}, []string{".properties.multi"}),
		Entry("selector's value", "(( .properties.sel.value ))", tiletest.KindString, "A", []string{".properties.sel"}),
		Entry("a job type's property", "(( .cell.max.value ))", tiletest.KindInteger, 3, []string{".cell.max"}),
		Entry("a job type's property, from its own snippet", "(( max.value ))", tiletest.KindInteger, 3, []string{".cell.max"}),
	)

	DescribeTable("know which values only exist at deploy time",
		func(expr string, kind tiletest.Kind) {
			e := parse(expr).(*tiletest.Expr)
			Expect(e.Kind).To(Equal(kind))
			Expect(e.Dynamic).To(BeTrue())
		},
		Entry("a generated secret", "(( .properties.secret.value ))", tiletest.KindString),
		Entry("generated credentials", "(( .properties.creds.password ))", tiletest.KindString),
		Entry("a job accessor", "(( instances ))", tiletest.KindInteger),
		Entry("Ops Manager's settings", "(( $director.hostname ))", tiletest.KindAny),
		Entry("another product's property", "(( ..cf.properties.x.value ))", tiletest.KindAny),
		Entry("a BOSH variable", "((( credhub-password )))", tiletest.KindAny),
	)

	It("makes an expression inside a string a string, rendered with the defaults", func() {
		in, ok := parse("prefix-(( .properties.n.value ))-(( .properties.s.value ))").(*tiletest.Interp)
		Expect(ok).To(BeTrue())
		Expect(in.Text).To(Equal("prefix-(( .properties.n.value ))-(( .properties.s.value ))"))
		Expect(in.Exprs).To(HaveLen(2))
	})

	It("reads expressions inside lists and maps", func() {
		v := parse("[ (( .properties.s.value )), {k: (( .properties.b.value ))} ]")
		list, ok := v.([]any)
		Expect(ok).To(BeTrue())
		Expect(list[0]).To(BeAssignableToTypeOf(&tiletest.Expr{}))
		Expect(list[1].(map[string]any)["k"]).To(BeAssignableToTypeOf(&tiletest.Expr{}))
	})

	DescribeTable("refuse what Ops Manager would not render, naming the expression",
		func(value string, outsideJob bool, message string) {
			job := pt.JobType("cell")
			if outsideJob {
				job = nil
			}
			err := parseErr(job, value)
			Expect(err).To(MatchError(ContainSubstring(message)))
		},
		Entry("no accessor", "(( .properties.s ))", false, "(( .properties.s )): .properties.s has no accessor: write .properties.s.value"),
		Entry("an accessor of another type", "(( .properties.n.parsed_strings ))", false, "an integer has no accessor parsed_strings"),
		Entry("an unknown blueprint", "(( .properties.nope.value ))", false, "which has no property blueprint"),
		Entry("an unknown job type", "(( .other.max.value ))", false, "names job type other"),
		Entry("a job accessor outside a job type", "(( instances ))", true, "only known in a job type's manifest snippets"),
		Entry("a job-local property outside a job type", "(( max.value ))", true, "write .JOB_TYPE.max.value"),
		Entry("an unknown word", "(( bogus ))", false, "bogus is not a property reference"),
		Entry("a fallback of another kind", "(( .properties.n.value || [] ))", false, "the value after || is a list, but .properties.n.value gives an integer"),
		Entry("a selector's option groups", "(( .properties.sel.a_option.x.value ))", false, "do not follow"),
		Entry("an expression as a key", "{ (( .properties.s.value )): 1 }", false, "holds an expression"),
	)
})

var _ = Describe("job specs", func() {
	It("give a property's kind by its default, or else by its description", func() {
		spec, err := tiletest.ParseJobSpec([]byte(`
name: j
properties:
  a: {default: x}
  b: {default: 3}
  c: {default: false}
  d: {default: []}
  e: {default: {k: v}}
  f: {description: "IP:PORT of the server."}
  g: {description: "How many, a whole number."}
  h: {description: "Set to true or false."}
  i: {description: "A list of names."}
  k: {default: null, description: "a null default is no default"}
`))
		Expect(err).NotTo(HaveOccurred())
		want := map[string]tiletest.Kind{
			"a": tiletest.KindString, "b": tiletest.KindInteger, "c": tiletest.KindBoolean, "d": tiletest.KindList,
			"e": tiletest.KindMap, "f": tiletest.KindString, "g": tiletest.KindInteger, "h": tiletest.KindBoolean,
			"i": tiletest.KindList, "k": tiletest.KindString,
		}
		for name, kind := range want {
			got, _ := spec.Properties[name].Kind()
			Expect(got).To(Equal(kind), name)
		}
		Expect(spec.Properties["a"].HasDefault).To(BeTrue())
		Expect(spec.Properties["f"].HasDefault).To(BeFalse())
	})
})
