package hacf

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

const timeWant = "want a number with optional ms/us suffix"

// maxMsec keeps a parsed time inside time.Duration.
const maxMsec = math.MaxInt64 / int64(time.Millisecond)

// parseTime reads a time the way glue's cl_get_msec does
// (glue:lib/clplumbing/cl_misc.c): a number made of digits and dots is
// seconds; a suffix starting with "ms" (case-insensitive) makes it
// milliseconds and one starting with "us" microseconds; any other suffix is
// an error. The number is what atof reads from the start (so "1.2.3" is
// 1.2), and the result is rounded to the nearest millisecond.
// extra is the part of the suffix after "ms"/"us" that Heartbeat ignores
// ("msec" and "usec" are the documented spellings).
func parseTime(tok string) (d time.Duration, extra string, err error) {
	if tok == "" || !isNumChar(tok[0]) {
		return 0, "", errors.New("bad time")
	}
	n := 0
	for n < len(tok) && isNumChar(tok[n]) {
		n++
	}
	num, units := tok[:n], tok[n:]
	mult, div := 1000.0, 1.0
	switch {
	case hasPrefixFold(units, "ms"):
		mult, extra = 1, units[2:]
	case hasPrefixFold(units, "us"):
		mult, div, extra = 1, 1000, units[2:]
	case units != "":
		return 0, "", errors.New("bad time")
	}
	if strings.EqualFold(extra, "ec") {
		extra = ""
	}
	v := atof(num)*mult/div + 0.5
	if v >= float64(maxMsec) {
		return 0, "", errors.New("time too large")
	}
	return time.Duration(int64(v)) * time.Millisecond, extra, nil
}

func isNumChar(b byte) bool { return b == '.' || (b >= '0' && b <= '9') }

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// atof reads the longest prefix of s (digits and dots only) that C's atof
// would read: digits, optionally a dot and more digits.
func atof(s string) float64 {
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end < len(s) && s[end] == '.' {
		end++
		for end < len(s) && s[end] >= '0' && s[end] <= '9' {
			end++
		}
	}
	f, err := strconv.ParseFloat(s[:end], 64)
	if err != nil {
		return 0 // "" or "." read as 0, as atof does
	}
	return f
}

// atoi reads an integer the way C's atoi does: optional sign and digits at
// the start, the rest ignored. clean reports that the whole token was a
// number; ok is false when the value does not fit in an int64 (where C's
// behaviour is undefined).
func atoi(s string) (n int64, clean, ok bool) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		d := int64(s[i] - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, false, false
		}
		n = n*10 + d
		i++
	}
	if neg {
		n = -n
	}
	return n, i > start && i == len(s), true
}

// parseBool is glue's cl_str_to_boolean: case-insensitive
// true|on|yes|y|1 and false|off|no|n|0.
func parseBool(s string) (v, ok bool) {
	switch strings.ToLower(s) {
	case "true", "on", "yes", "y", "1":
		return true, true
	case "false", "off", "no", "n", "0":
		return false, true
	}
	return false, false
}

// facilities are the syslog facility names glibc's facilitynames[] offers
// to glue's cl_syslogfac_str2int (case-sensitive), plus "none". "mark" is
// left out: it is not a facility a message can be sent to.
var facilities = map[string]bool{
	"none": true, "auth": true, "authpriv": true, "cron": true, "daemon": true,
	"ftp": true, "kern": true, "lpr": true, "mail": true, "news": true,
	"security": true, "syslog": true, "user": true, "uucp": true,
	"local0": true, "local1": true, "local2": true, "local3": true,
	"local4": true, "local5": true, "local6": true, "local7": true,
}
