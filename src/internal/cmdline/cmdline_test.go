package cmdline_test

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/garden-windows/garden-windows-release/internal/cmdline"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("Split", func() {
	DescribeTable("follows Microsoft's examples for the arguments after the program name",
		func(afterProgram string, want []string) {
			Expect(cmdline.Split("prog " + afterProgram)).To(Equal(append([]string{"prog"}, want...)))
		},
		Entry(nil, `"a b c" d e`, []string{`a b c`, `d`, `e`}),
		Entry(nil, `"ab\"c" "\\" d`, []string{`ab"c`, `\`, `d`}),
		Entry(nil, `a\\\b d"e f"g h`, []string{`a\\\b`, `de fg`, `h`}),
		Entry(nil, `a\\\"b c d`, []string{`a\"b`, `c`, `d`}),
		Entry(nil, `a\\\\"b c" d e`, []string{`a\\b c`, `d`, `e`}),
		Entry(nil, `a"b"" c d`, []string{`ab" c d`}),
	)

	DescribeTable("splits the program name by its own rules",
		func(line string, want []string) {
			Expect(cmdline.Split(line)).To(Equal(want))
		},
		Entry("bare", `prog`, []string{`prog`}),
		Entry("quoted with a space", `"C:\Program Files\app.exe" x`, []string{`C:\Program Files\app.exe`, `x`}),
		Entry("quotes in the middle", `C:\a\"b c"\d.exe x`, []string{`C:\a\b c\d.exe`, `x`}),
		Entry("backslash before the closing quote is literal", `"C:\dir\" x`, []string{`C:\dir\`, `x`}),
		Entry("backslash before a quote does not escape it", `prog\" x`, []string{`prog\ x`}),
		Entry("unterminated quote runs to the end", `"my prog a b`, []string{`my prog a b`}),
		Entry("empty quoted", `"" x`, []string{``, `x`}),
		Entry("leading space gives an empty name", ` x y`, []string{``, `x`, `y`}),
		Entry("leading tab gives an empty name", "\tx", []string{``, `x`}),
		Entry("empty command line", ``, []string{``}),
		Entry("trailing blanks", "prog \t ", []string{`prog`}),
		Entry("tab ends the name", "prog\tx", []string{`prog`, `x`}),
	)

	DescribeTable("splits the other arguments",
		func(afterProgram string, want []string) {
			Expect(cmdline.Split("prog " + afterProgram)).To(Equal(append([]string{"prog"}, want...)))
		},
		Entry("tabs and repeated blanks", "a\t\tb   c", []string{`a`, `b`, `c`}),
		Entry("newline is no separator", "a\nb", []string{"a\nb"}),
		Entry("empty quoted", `""`, []string{``}),
		Entry("several empty quoted", `"" ""`, []string{``, ``}),
		Entry("lone quote", `"`, []string{``}),
		Entry("quote at the end", `a"`, []string{`a`}),
		Entry("lone backslash", `\`, []string{`\`}),
		Entry("trailing backslashes", `a\\`, []string{`a\\`}),
		Entry("escaped backslash before closing quote", `"a\\"`, []string{`a\`}),
		Entry("quote pair outside quotes opens and closes", `a""b`, []string{`ab`}),
		Entry("quote pair inside quotes is a quote", `"a""b"`, []string{`a"b`}),
		Entry("quote pair inside quotes keeps quoting", `"a""b c"`, []string{`a"b c`}),
		Entry("four quotes", `""""`, []string{`"`}),
		Entry("three quotes", `"""`, []string{`"`}),
		Entry("escaped quote alone", `\"`, []string{`"`}),
		Entry("backslashes then quote pair in quotes", `"a\\""b"`, []string{`a\"b`}),
		Entry("quoting joins words", `a" "b`, []string{`a b`}),
		Entry("unicode", `é "日 本" 😀`, []string{`é`, `日 本`, `😀`}),
		Entry("NUL ends the command line", "a\x00 b", []string{`a`}),
	)
})

var _ = Describe("Join", func() {
	DescribeTable("quotes only what needs quoting",
		func(args []string, want string) {
			Expect(cmdline.Join(args)).To(Equal(want))
		},
		Entry("program alone", []string{`prog`}, `prog`),
		Entry("program with a space", []string{`C:\Program Files\app.exe`, `x`}, `"C:\Program Files\app.exe" x`),
		Entry("program with a space and a trailing backslash", []string{`C:\dir with space\`}, `"C:\dir with space\"`),
		Entry("program with a tab", []string{"a\tb"}, "\"a\tb\""),
		Entry("empty program", []string{``, `x`}, `"" x`),
		Entry("empty argument", []string{`prog`, ``}, `prog ""`),
		Entry("space", []string{`prog`, `a b`}, `prog "a b"`),
		Entry("tab", []string{`prog`, "a\tb"}, "prog \"a\tb\""),
		Entry("quote", []string{`prog`, `a"b`}, `prog "a\"b"`),
		Entry("backslash stays bare", []string{`prog`, `a\b`}, `prog a\b`),
		Entry("trailing backslash stays bare", []string{`prog`, `a\`}, `prog a\`),
		Entry("paths stay bare", []string{`prog`, `C:\Users\vcap\app`, `\\server\share`}, `prog C:\Users\vcap\app \\server\share`),
		Entry("non-ASCII stays bare", []string{`prog`, `é日`}, `prog é日`),
		Entry("newline stays bare", []string{`prog`, "a\nb"}, "prog a\nb"),
		Entry("trailing backslashes when quoted", []string{`prog`, `a\\ b\\`}, `prog "a\\ b\\\\"`),
		Entry("backslash before a quote", []string{`prog`, `a\"b`}, `prog "a\\\"b"`),
		Entry("quote alone", []string{`prog`, `"`}, `prog "\""`),
		Entry("shell command", []string{`cmd`, `/c`, `echo "hi" > x.txt`}, `cmd /c "echo \"hi\" > x.txt"`),
	)

	DescribeTable("refuses what a command line cannot carry, naming the value",
		func(args []string, wantParts ...string) {
			line, err := cmdline.Join(args)
			Expect(err).To(HaveOccurred())
			Expect(line).To(BeEmpty())
			for _, part := range wantParts {
				Expect(err.Error()).To(ContainSubstring(part))
			}
		},
		Entry("nil", nil, "no arguments"),
		Entry("empty", []string{}, "no arguments"),
		Entry("quote in the program name", []string{`C:\a"b.exe`, `x`}, "program name", `"C:\\a\"b.exe"`, "double quote"),
		Entry("quote alone as program name", []string{`"`}, "program name"),
		Entry("NUL in an argument", []string{`prog`, "a\x00b"}, "argument 1", `"a\x00b"`, "NUL"),
		Entry("NUL in the program name", []string{"p\x00"}, "argument 0", "NUL"),
		Entry("invalid UTF-8", []string{`prog`, `ok`, "\xff"}, "argument 2", `"\xff"`, "UTF-8"),
	)
})

// pieces are what random arguments are made of: the characters the rules
// care about, runs of them, and a few characters from outside ASCII.
var pieces = []string{" ", "\t", `"`, `\`, `\\`, `\"`, `""`, "a", "b", "é", "日", "😀", "\n", "'", "^", "&"}

func randomArg(r *rand.Rand, from []string) string {
	var b strings.Builder
	for n := r.IntN(9); n > 0; n-- {
		b.WriteString(from[r.IntN(len(from))])
	}
	return b.String()
}

func withoutQuotes(from []string) []string {
	var out []string
	for _, p := range from {
		if !strings.Contains(p, `"`) {
			out = append(out, p)
		}
	}
	return out
}

// randomArgs returns an argument list with a program name from
// programPieces and up to six more arguments from argPieces.
func randomArgs(r *rand.Rand, programPieces, argPieces []string) []string {
	args := []string{randomArg(r, programPieces)}
	for n := r.IntN(7); n > 0; n-- {
		args = append(args, randomArg(r, argPieces))
	}
	return args
}

var _ = Describe("Split(Join(args))", func() {
	It("gives back args for random argument lists", func() {
		r := rand.New(rand.NewPCG(2026, 1))
		programPieces := withoutQuotes(pieces)
		for range 20000 {
			args := randomArgs(r, programPieces, pieces)
			line, err := cmdline.Join(args)
			Expect(err).NotTo(HaveOccurred())
			Expect(cmdline.Split(line)).To(Equal(args), "command line %q", line)
			Expect(splitPre2008(line)).To(Equal(args), "command line %q, older runtimes", line)

			for _, arg := range args[1:] {
				if arg != "" && !strings.ContainsAny(arg, " \t\"") {
					Expect(cmdline.Join([]string{"p", arg})).To(Equal("p "+arg), "bare argument %q", arg)
				}
			}
		}
	})

	It("gives back args for every short argument over the tricky characters", func() {
		alphabet := []string{" ", "\t", `"`, `\`, "a"}
		var all func(prefix string, n int, visit func(string))
		all = func(prefix string, n int, visit func(string)) {
			visit(prefix)
			if n == 0 {
				return
			}
			for _, c := range alphabet {
				all(prefix+c, n-1, visit)
			}
		}
		count := 0
		all("", 6, func(arg string) {
			args := []string{"prog", arg, arg}
			line, err := cmdline.Join(args)
			Expect(err).NotTo(HaveOccurred())
			Expect(cmdline.Split(line)).To(Equal(args), "command line %q", line)
			count++
		})
		Expect(count).To(Equal(19531))
	})
})

// splitPre2008 splits the arguments after the program name like Microsoft C
// runtimes from before 2008, which ended quoting at two double quotes
// inside quotes. It exists to show that Join's output does not depend on
// that difference.
func splitPre2008(line string) []string {
	var args []string
	i := 0
	program, quoted := "", false
	for ; i < len(line) && (quoted || (line[i] != ' ' && line[i] != '\t')); i++ {
		if line[i] == '"' {
			quoted = !quoted
		} else {
			program += line[i : i+1]
		}
	}
	args = append(args, program)
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i == len(line) {
			return args
		}
		arg := ""
		quoted = false
		for i < len(line) && (quoted || (line[i] != ' ' && line[i] != '\t')) {
			n := 0
			for i < len(line) && line[i] == '\\' {
				n++
				i++
			}
			if i < len(line) && line[i] == '"' {
				arg += strings.Repeat(`\`, n/2)
				switch {
				case n%2 == 1:
					arg += `"`
					i++
				case quoted && i+1 < len(line) && line[i+1] == '"':
					arg += `"`
					quoted = false
					i += 2
				default:
					quoted = !quoted
					i++
				}
				continue
			}
			arg += strings.Repeat(`\`, n)
			if i < len(line) && (quoted || (line[i] != ' ' && line[i] != '\t')) {
				arg += line[i : i+1]
				i++
			}
		}
		args = append(args, arg)
	}
}

var _ = Describe("splitPre2008", func() {
	It("differs from Split only at two quotes inside quotes", func() {
		Expect(splitPre2008(`prog a"b"" c d`)).To(Equal([]string{"prog", `ab"`, "c", "d"}))
		Expect(cmdline.Split(`prog a"b"" c d`)).To(Equal([]string{"prog", `ab" c d`}))
		Expect(splitPre2008(`prog a\\\\"b c" d e`)).To(Equal(cmdline.Split(`prog a\\\\"b c" d e`)))
	})
})

func Example() {
	line, err := cmdline.Join([]string{`C:\Program Files\app.exe`, `--dir`, `C:\my dir\`, `say "hi"`})
	if err != nil {
		panic(err)
	}
	fmt.Println(line)
	fmt.Printf("%q\n", cmdline.Split(line))
	// Output:
	// "C:\Program Files\app.exe" --dir "C:\my dir\\" "say \"hi\""
	// ["C:\\Program Files\\app.exe" "--dir" "C:\\my dir\\" "say \"hi\""]
}
