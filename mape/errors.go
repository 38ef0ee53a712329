package mape

import "fmt"

// InputError is what is wrong with a value a person gave: the line's
// prefix or address (ParseEndUser, CheckCovers), a rule (ParseRule,
// Validate), an interface-identifier format. Error is the message in
// English; Kind names the mistake and Args are the values the message
// quotes, in its order, for callers that word it in another language.
type InputError struct {
	Kind InputErrorKind
	Args []any
	en   string
}

func (e *InputError) Error() string { return e.en }

// InputErrorKind is the kind of an InputError.
type InputErrorKind int

// The kinds of InputError; each is one message of this package.
const (
	InputEmpty InputErrorKind = iota + 1
	InputPrefixNotIPv6
	InputPrefixZone
	InputPrefixLength
	InputNotIPv6
	InputIsIPv4
	InputIsIPv4Mapped
	InputIsLinkLocal
	InputIsLoopback
	InputIsMulticast
	InputPrefixTooShort
	InputIIDFormat
	InputRuleIPv6Missing
	InputRuleIPv6Bad
	InputRuleIPv6Bits
	InputRuleIPv4Missing
	InputRuleIPv4Bad
	InputRuleIPv4Bits
	InputEALenRange
	InputEALenLong
	InputPSIDOffsetRange
	InputPSIDTooLong
	InputPSIDOverflow
	InputBRNotIPv6
	InputIIDUnknown
	InputRuleFields
	InputRuleIPv6Syntax
	InputRuleIPv4Syntax
	InputEALenSyntax
	InputPSIDOffsetSyntax
	InputBRSyntax

	// InputKinds is one past the last kind.
	InputKinds
)

func inputErr(k InputErrorKind, format string, args ...any) error {
	return &InputError{Kind: k, Args: args, en: fmt.Sprintf(format, args...)}
}
