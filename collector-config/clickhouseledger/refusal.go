package clickhouseledger

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// ClickHouse error codes that a server answers because of the data in an insert, not because of the
// server, the network, the schema or the credentials. The same rows get the same answer on every
// retry, so a batch refused with one of them is split until the refusing rows are found.
//
// Deliberately absent: codes that every insert would get while something outside the data is wrong
// (UNKNOWN_TABLE 60, NO_SUCH_COLUMN_IN_TABLE 16, TYPE_MISMATCH 53, ILLEGAL_TYPE_OF_ARGUMENT 43 after a
// schema change, AUTHENTICATION_FAILED 516, ACCESS_DENIED 497, READONLY 164, MEMORY_LIMIT_EXCEEDED
// 241, TOO_MANY_PARTS 252, TIMEOUT_EXCEEDED 159, …): those are retried with back-off until fixed.
var rowRefusalCodes = map[int]string{
	6:   "CANNOT_PARSE_TEXT",
	26:  "CANNOT_PARSE_QUOTED_STRING",
	27:  "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
	38:  "CANNOT_PARSE_DATE",
	41:  "CANNOT_PARSE_DATETIME",
	69:  "ARGUMENT_OUT_OF_BOUND",
	70:  "CANNOT_CONVERT_TYPE",
	72:  "CANNOT_PARSE_NUMBER",
	117: "INCORRECT_DATA",
	131: "TOO_LARGE_STRING_SIZE",
	321: "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE",
	395: "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO",
	407: "DECIMAL_OVERFLOW",
	469: "VIOLATED_CONSTRAINT",
	691: "UNKNOWN_ELEMENT_OF_ENUM",
}

// "Code: 469. DB::Exception: …" — the form of ClickHouse's error text over HTTP and native.
var codePattern = regexp.MustCompile(`Code: (\d+)\. `)

// The ClickHouse exporter's own words when the driver cannot encode a row's value for its column:
// nothing reached the server, and the same row fails the same way every time.
var appendFailures = []string{
	"failed to append log row",
	"failed to append trace row",
	"failed to append",
}

// isRowRefusal says whether err is ClickHouse (or the driver) refusing an insert because of the rows
// it holds, so that inserting the same rows again can never succeed.
func isRowRefusal(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	for _, f := range appendFailures {
		if strings.Contains(msg, f) {
			return true
		}
	}
	for _, m := range codePattern.FindAllStringSubmatch(msg, -1) {
		code, convErr := strconv.Atoi(m[1])
		if convErr == nil {
			if _, ok := rowRefusalCodes[code]; ok {
				return true
			}
		}
	}
	return false
}

// errRefused marks the rows that ClickHouse refused on their own, next to rows it accepted.
var errRefused = errors.New("ClickHouse refused these rows for their content; they are dropped, the rest of their batch was inserted")
