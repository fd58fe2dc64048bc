package wire

import (
	"testing"
	"time"
)

// BenchmarkDecodeVerify: receive path of one captured status heartbeat.
func BenchmarkDecodeVerify(b *testing.B) {
	data, err := Sign(benchStatus(), labKeys[1])
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(data, labKeys); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSign: send path, stamping and signing one status heartbeat.
func BenchmarkSign(b *testing.B) {
	c := Control{Node: "node2", UUID: labUUIDs["node2"], Seq: 0x3b, Generation: 0x6b053dca,
		Now: time.Unix(0x6b053df8, 0), Load: "0.31 0.21 0.08 2/108 217", TTL: 3}
	b.ReportAllocs()
	for b.Loop() {
		m := Status{Status: StatusActive, Deadtime: 3 * time.Second, Protocol: 1}.Message()
		c.Stamp(m)
		if _, err := Sign(m, labKeys[1]); err != nil {
			b.Fatal(err)
		}
	}
}

func benchStatus() *Message {
	m := Status{Status: StatusActive, Deadtime: 3 * time.Second, Protocol: 1}.Message()
	Control{Node: "node2", UUID: labUUIDs["node2"], Seq: 0x3b, Generation: 0x6b053dca,
		Now: time.Unix(0x6b053df8, 0), Load: "0.31 0.21 0.08 2/108 217", TTL: 3}.Stamp(m)
	return m
}
