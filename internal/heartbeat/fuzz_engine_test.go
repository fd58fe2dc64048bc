package heartbeat_test

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ultramonkey/ultramonkey/internal/heartbeat/wire"
)

// FuzzEngine drives two real Nodes (hbtest.Net, fake agents, virtual time)
// with hostile but authenticated messages (issue 17 §1): whoever holds the
// key (with auth crc, anyone on the LAN) sends any message type, with any
// field values, in any order, with any generation and seq, claiming to be
// either node, to either node, over either link, between time steps, link
// cuts and restarts. After every input no Node panics, every Run returns
// nil when stopped, no goroutine is left (synctest.Test fails on one),
// and once the injection stops and the cluster has settled (split brain
// resolves within a keepalive plus a message; a standby handshake times
// out at 10 s), no resource runs on both nodes.
func FuzzEngine(f *testing.F) {
	for _, seed := range engineSeeds {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 512 {
			return
		}
		synctest.Test(t, func(t *testing.T) { runEngineInput(t, in) })
	})
}

// TestEngineHostileInputs runs FuzzEngine's check over 100 pseudo-random
// inputs in the unit suite (about 1.5 s, 5 s with -race): the fuzz target explores beyond.
func TestEngineHostileInputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 100 {
		in := make([]byte, rng.IntN(120))
		for j := range in {
			in[j] = byte(rng.Uint32())
		}
		synctest.Test(t, func(t *testing.T) { runEngineInput(t, in) })
		if t.Failed() {
			t.Fatalf("input %d: %x", i, in)
		}
	}
}

// engineSeeds are hand-made inputs that reach the interesting paths: a
// forged shutdone, a forged standby handshake, replays after a death,
// sequence jumps, a restart with an old generation.
var engineSeeds = [][]byte{
	{},
	// node2 gets a shutdone "from node1" with node1's next seq.
	{0, opInject, 1, 7, 0, 0, 0, 0, opTime, 50},
	// ask_resources rsc_hold=all info=me "from node1".
	{0, opInject, 1, 3, 11, 0, 0, 0, opTime, 30},
	// node1 dies; its starting and a resource all/stable are replayed.
	{1, opKill, 0, opTime, 40, opInject, 1, 1, 0, 1, 0, 0, opInject, 1, 2, 27, 1, 0, 0, opTime, 100},
	// A status far ahead in seq, then one of an older generation.
	{2, opInject, 0, 0, 0, 42, 0, 0, opInject, 0, 0, 0, 0, 0, 2, 0, opTime, 10},
	// A split (both links of node1 cut), a forged resource, the heal.
	{0, opCut, 0, opCut, 1, opTime, 50, opInject, 1, 2, 3, 0, 0, 0, opHeal, 0, opHeal, 1, opTime, 20},
	// node1 restarts; an ip-request and a hb_takeover are forged.
	{1, opKill, 0, opTime, 10, opRestart, 0, opInject, 0, 5, 1, 0, 0, 0, opInject, 1, 4, 2, 0, 0, 0, opTime, 100},
	// NS_ acks, rexmit requests, naks.
	{0, opInject, 1, 8, 0, 0, 0, 0, opInject, 1, 9, 1, 0, 0, 0, opInject, 0, 10, 2, 0, 0, 1},
	// An unknown node, and a node's own name sent to it.
	{0, opInject, 1, 0, 0, 0, 0, 4, opInject, 1, 7, 0, 0, 0, 12, opTime, 20},
}

// Operations of an input, one byte each followed by their arguments.
const (
	opInject  = iota // to, type, variant, seq mode, gen mode, link/src
	opTime           // tenths of a second to let pass (0-6.3 s)
	opCut            // link index: cut on node1
	opHeal           // link index
	opKill           // node index: kill -9 (its agents stay)
	opRestart        // node index: start again if killed, with a new generation
	numOps
)

// msgTypes are the types an injected message takes.
var msgTypes = []string{
	wire.TStatus, wire.TStarting, "resource", "ask_resources", "hb_takeover", "ip-request",
	"ip-request-resp", "shutdone", "NS_ackmsg", "NS_rexmit", "NS_nak_rexmit", "reqnodes", "t-unknown",
}

// byteReader hands out the input; 0 once it is used up.
type byteReader struct{ b []byte }

func (r *byteReader) next() byte {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *byteReader) pick(n int) int { return int(r.next()) % n }

var (
	holds     = []string{"none", "local", "foreign", "all", "", "bogus"}
	infos     = []string{"", "me", "other", "done", "no_standby", "bogus"}
	statusSts = []string{"active", "up", "dead", "init", "ping", "", "bogus"}
	groupKeys = []string{vip1 + " httpd", vip1, vip2, "", "10.9.9.9"}
)

// hostileMessage builds the message of one injection from the input.
func hostileMessage(r *byteReader, dest string) *wire.Message {
	typ := msgTypes[r.pick(len(msgTypes))]
	v := int(r.next())
	var m *wire.Message
	switch typ {
	case wire.TStatus:
		m = wire.Status{Status: statusSts[v%len(statusSts)], Deadtime: time.Duration(v%7) * time.Second, Protocol: 1}.Message()
	case "resource":
		m = wire.Resources{Hold: holds[v%len(holds)], Full: v&8 != 0, Stable: v&16 != 0, Info: infos[v/32%len(infos)]}.Message()
	case "ask_resources":
		m = wire.AskResources{Hold: holds[v%len(holds)], Info: infos[v/8%len(infos)]}.Message()
	case "hb_takeover":
		m = wire.Takeover{Hold: holds[v%len(holds)]}.Message()
	case "ip-request":
		m = wire.IPRequest{IPAddr: groupKeys[v%len(groupKeys)]}.Message()
	case "ip-request-resp":
		ok := ""
		if v&8 != 0 {
			ok = "OK"
		}
		m = wire.IPRequestResp{Dest: dest, IPAddr: groupKeys[v%len(groupKeys)], WeOwn: v&16 != 0, OK: ok}.Message()
	case "shutdone":
		m = wire.NewShutdone()
	case "NS_ackmsg":
		m = wire.Ack{Dest: dest, AckSeq: uint64(v)}.Message()
	case "NS_rexmit":
		m = wire.Rexmit{Dest: dest, First: uint64(v), Last: uint64(v + v%5)}.Message()
	case "NS_nak_rexmit":
		m = wire.NakRexmit{Dest: dest, FirstSeq: uint64(v)}.Message()
	case "reqnodes":
		m = wire.NewReqNodes(dest)
	default:
		m = wire.NewMessage(typ)
		m.Add("x", strconv.Itoa(v))
	}
	if v%11 == 3 {
		m.Set(wire.FDest, []string{"node1", "node2", "node3", ""}[v%4])
	}
	return m
}

// lastSeen is the last (generation, seq) node sent, from the frames the
// network carried (0, 0 before its first sequenced message).
func lastSeen(c *cluster, node string) (gen, seq uint64) {
	frames := c.net.Frames(node)
	for i := len(frames) - 1; i >= 0; i-- {
		m, err := wire.Decode(frames[i].Buf)
		if err != nil {
			continue
		}
		h, err := wire.ReadHeader(m)
		if err == nil && h.HasSeq {
			return h.Generation, h.Seq
		}
	}
	if h, ok := c.hosts[node]; ok {
		return h.gen, 0
	}
	return 1, 0
}

// inject sends one hostile, correctly signed message.
func inject(t *testing.T, c *cluster, r *byteReader) {
	names := []string{"node1", "node2"}
	to := names[r.pick(2)]
	m := hostileMessage(r, to)
	seqMode, genMode, linkSrc := r.next(), r.next(), r.next()
	src := names[0]
	if to == src {
		src = names[1]
	}
	if linkSrc&4 != 0 {
		src = []string{"node3", to}[linkSrc>>3&1] // an unknown node, or the target itself
	}
	gen, seq := lastSeen(c, src)
	switch seqMode % 5 {
	case 0:
		seq++ // the sender's next
	case 1:
		seq = max(seq, 1) - uint64(seqMode>>3)%max(seq, 1) // one already sent
	case 2:
		seq += uint64(seqMode>>3) * 37 // far ahead
	case 3:
		seq = uint64(seqMode >> 3)
	case 4:
		seq += 2 // leaves a gap
	}
	switch genMode % 4 {
	case 1:
		gen++
	case 2:
		gen--
	case 3:
		gen = uint64(genMode) << uint(genMode%40)
	}
	uuid := [16]byte{byte(len(src)), src[4]} // the cluster's UUIDs (cluster.start)
	wire.Control{Node: src, UUID: uuid, Seq: seq, Generation: gen, Now: time.Now(), TTL: 3}.Stamp(m)
	buf, err := wire.Sign(m, wire.Auth{Index: 1, Method: wire.SHA1, Key: []byte("secret")})
	if err != nil {
		return // a field the codec refuses (e.g. a bad byte in a value): nothing to send
	}
	link := []string{"eth0", "eth1"}[linkSrc&1]
	if err := c.net.Inject(src, to, link, buf); err != nil {
		t.Fatalf("inject: %v", err)
	}
}

// runEngineInput plays one input on a fresh cluster and checks the
// invariants.
func runEngineInput(t *testing.T, in []byte) {
	r := &byteReader{b: in}
	c := newCluster(t, []string{"on", "off", "legacy"}[r.pick(3)])
	defer c.stopAll()
	c.start("node1")
	c.start("node2")
	time.Sleep(15 * time.Second)
	synctest.Wait()
	names := []string{"node1", "node2"}
	alive := map[string]bool{"node1": true, "node2": true}
	for steps := 0; len(r.b) > 0 && steps < 48; steps++ {
		switch r.pick(numOps) {
		case opInject:
			inject(t, c, r)
		case opTime:
			time.Sleep(time.Duration(r.next()%64) * 100 * time.Millisecond)
		case opCut:
			c.net.Cut("node1", []string{"eth0", "eth1"}[r.pick(2)])
		case opHeal:
			c.net.Heal("node1", []string{"eth0", "eth1"}[r.pick(2)])
		case opKill:
			if n := names[r.pick(2)]; alive[n] {
				c.kill(n)
				alive[n] = false
			}
		case opRestart:
			if n := names[r.pick(2)]; !alive[n] {
				for _, a := range c.hosts[n].agents {
					a.Stop(context.Background()) // a reboot: nothing runs
				}
				c.start(n)
				alive[n] = true
			}
		}
		synctest.Wait()
	}
	// Injection over: the network heals, the survivors settle.
	for _, l := range []string{"eth0", "eth1"} {
		c.net.Heal("node1", l)
	}
	for _, n := range names {
		if !alive[n] {
			for _, a := range c.hosts[n].agents {
				a.Stop(context.Background())
			}
		}
	}
	time.Sleep(30 * time.Second)
	synctest.Wait()
	if testing.Verbose() {
		t.Logf("%x\n%s", in, c.dumpLogs())
	}
	for res, on := range c.holders() {
		if len(on) > 1 {
			t.Fatalf("after the hostile input and 30 s of settling, %s runs on %s\n%s", res, strings.Join(on, " and "), c.dumpLogs())
		}
	}
	for _, n := range names {
		if !alive[n] {
			continue
		}
		if _, err := c.hosts[n].node.Status(context.Background()); err != nil {
			t.Fatalf("%s: status: %v", n, err)
		}
	}
}
