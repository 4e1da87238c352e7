package tiletest

import (
	"regexp"
)

// Kind is the type of a value as BOSH passes it to a job's templates:
// what a spec property expects and what a manifest snippet gives it.
type Kind string

// The kinds. KindAny is a value whose type the checks cannot know (a BOSH
// variable, another product's property): it is compatible with every kind.
const (
	KindString  Kind = "string"
	KindInteger Kind = "integer"
	KindFloat   Kind = "number"
	KindBoolean Kind = "boolean"
	KindList    Kind = "list"
	KindMap     Kind = "map"
	KindNull    Kind = "null"
	KindAny     Kind = "any"
)

// kindOf is the kind of a value as gopkg.in/yaml.v3 decodes it.
func kindOf(v any) Kind {
	switch v.(type) {
	case nil:
		return KindNull
	case string:
		return KindString
	case int, int64, uint64:
		return KindInteger
	case float64:
		return KindFloat
	case bool:
		return KindBoolean
	case []any:
		return KindList
	case map[string]any:
		return KindMap
	default:
		return KindAny
	}
}

// Descriptions of properties without a default that say what they hold.
// Only unambiguous wording counts; anything else is a string, which is
// what every such property of this release holds.
var (
	integerDescription = regexp.MustCompile(`(?i)\b(a whole number|an integer)\b`)
	booleanDescription = regexp.MustCompile(`(?i)\b(true or false|a boolean)\b`)
	listDescription    = regexp.MustCompile(`(?i)\b(a list of|list of)\b`)
)

// kindFromDescription guesses the kind of a spec property that has no
// default from its description.
func kindFromDescription(description string) Kind {
	switch {
	case integerDescription.MatchString(description):
		return KindInteger
	case booleanDescription.MatchString(description):
		return KindBoolean
	case listDescription.MatchString(description):
		return KindList
	default:
		return KindString
	}
}

// compatible says whether a value of kind got can be given to a property
// of kind want. A null leaves the property to its default.
func compatible(want, got Kind) bool {
	return want == got || want == KindAny || got == KindAny || got == KindNull ||
		(want == KindFloat && got == KindInteger)
}
