// Package r1 is hbd's R1 resource-ownership machine (Ownership, Step) and
// its message values (Message, Hold): who runs each haresources group in a
// two-node cluster, decided by messages with the peer. It performs no I/O
// and reads no clock: Step takes the event and the time and returns the
// actions (start, stop, announce, send) for the engine to carry out, and the
// reason in Heartbeat's log words, each line with the level it is logged at
// (Line; messages.go).
//
// The machine follows Heartbeat 3.0.6's hb_resource.c (anchors §1.6)
// message for message, so it interoperates with a real 3.0.6 peer, with
// the deliberate improvements listed below and marked "hbd:" in the code.
//
// Vocabulary. A group is "local" on the node named first on its haresources
// line (its preferred node) and "foreign" on the other. Messages speak of
// classes (Hold: none|local|foreign|all) in the sender's words; each group
// here has a wanted flag (what the protocol decided) and a phase (what the
// resource layer did: Stopped, Starting, Running, Stopping). Starts and stops
// are emitted only from a stable phase, so a decision that flips while an
// operation runs is applied when the operation completes.
//
// auto_failback on|off (Heartbeat's nice_failback), anchors §1.6:
//   - At comm up a node sends t=starting; the peer answers t=resource
//     rsc_hold=<what it holds> isstable=0|1. When the peer is stable the node
//     takes its local groups unless the peer holds them ("Local Resource
//     acquisition completed. (none)"); when nobody is stable it takes them
//     after RQSTDELAY (10 s) ("local resource transition completed."), or
//     at once when both are starting and the peer holds nothing
//     (improvement 6).
//   - Peer death or t=shutdone: take every group (mach_down).
//   - on: once the peer says isstable=1, a node holding foreign groups hands
//     them back with the standby handshake (PerformAutoFailback).
//   - off: groups stay where they are.
//   - Standby (hb_standby all|local|foreign): t=ask_resources info=me, the
//     peer replies info=other, the requester stops the set and sends
//     info=done, the peer starts it and sends info=done. The request is
//     ignored while either side is in flux; the first reply must come
//     within 10 s. hb_takeover X makes the peer run hb_standby Mirror(X).
//
// auto_failback legacy: no t=starting/t=resource negotiation and no
// standby ("Standby mode only implemented when nice_failback on"). At comm
// up each local group is asked for with t=ip-request; the holder stops it
// and answers t=ip-request-resp, and the asker starts it. So a returning
// preferred node always takes its groups back.
//
// hbd improvements:
//  1. Split brain (both nodes hold a group after a partition heals):
//     Heartbeat restarts both daemons, leaving the service down ~18 s
//     (heartbeat-wire.md §3). hbd instead announces its holdings with
//     t=resource as soon as the peer is heard again. A node that sees the
//     peer claim a class it also holds applies one deterministic rule, the
//     same on both sides because haresources is identical: the group's
//     preferred node keeps it (it never stops it, and re-sends gratuitous
//     ARP), the other node stops it quietly and re-announces what it holds.
//     Both hold the group, so keeping it on the preferred node is a
//     failback under no auto_failback setting; with "off" it is still
//     where a restart of both nodes would have put it. It settles within
//     one keepalive (the peer's first status) plus one message delay.
//  2. A node that is alone at start, or whose peer dies while it waits for
//     the negotiation, becomes stable at once instead of waiting forever
//     in "starting"; a node whose t=starting is never answered takes its
//     local groups after RQSTDELAY like the both-starting case.
//  3. A stale t=resource (a seq lower than one already seen from the
//     same incarnation of the peer) is ignored. A late t=ask_resources is
//     applied: Heartbeat delivers a message recovered by retransmission
//     after newer ones, and a handshake step has no newer replacement.
//  4. Orphans: when settled, a node takes its own local groups if neither
//     side holds them (after the peer (re)starts, on a t=resource with
//     isstable=1, or when a standby times out); Heartbeat only logs "No one
//     owns our local resources!" (AuditResources).
//  5. A standby handshake ends as in Heartbeat (the peer's info=done,
//     the 10 s or 1 h timeout, the peer's death, t=shutdone) and when the
//     peer restarts (t=starting). isstable=1 does not end it: a 3.0.6
//     peer says isstable=1 inside a handshake (its req_our_resources
//     child's "info=req_our_resources()" runs beside the parent, which
//     already answers info=me), and ending on it let both nodes hold the
//     VIP (TestMixedStandbyAtStartup). hbd's own addition, safe with
//     either peer: a node in no handshake that receives a handshake step
//     (info=other or info=done) answers t=resource info=no_standby, and a
//     node waiting for the peer's next step after sending its own (the
//     acquirer after other, the requester after done) abandons the
//     handshake on it; a 3.0.6 peer never sends it and ignores it. So
//     where Heartbeat waits an hour for a requester that timed out, an
//     hbd pair settles at once. A 3.0.6 req_our_resources() message does
//     not trigger the orphan rule (improvement 4): its rsc_hold= can
//     predate a standby acquisition. A node that becomes stable again (a
//     cancelled standby) says so with t=resource isstable=1, where
//     Heartbeat stays silent. Legacy ip-requests are repeated every
//     RequestDelay until answered; Heartbeat asks once.
//  6. Both nodes starting: when the peer's t=starting came while ours was
//     unanswered, and its answer is a full t=resource rsc_hold=none
//     isstable=0, the node takes its local groups at once instead of after
//     RQSTDELAY (start-up in milliseconds instead of 10 s). Safe with either
//     peer: each node takes only its own local groups here, and a starting
//     peer, hbd or Heartbeat 3.0.6, takes foreign groups only after our
//     death, our t=shutdone or a standby handshake (hb_resource.c), and
//     claims them in rsc_hold= before starting them (takeover_from_node),
//     so "none" means it neither holds nor is taking ours. Our t=resource
//     isstable=1 then lets a 3.0.6 peer take its own local groups at once
//     (process_resources: req_our_resources once the other is stable),
//     so a mixed pair starts fast too. Any other answer waits as before.
//
// A failed group start gives the group up and, like ResourceManager's
// "(sleep 30; hb_standby local|foreign) &", hands its class to the peer
// after FailedStartDelay; in legacy mode, which has no standby, it sends
// the peer t=ip-request-resp weown=yes ok=OK for the group, the message on
// which rc.d/ip-request-resp starts it.
//
// A group that fails while running (EvResourceFailed: the engine's
// resource monitor used up its restart budget; hbd's own, Heartbeat v1
// never monitors) is stopped here; its class stays in rsc_hold= until the
// stop completes, then it is handed to the peer at once, the same way as
// a failed start (no FailedStartDelay: the restarts already took time).
//
// Stop failures. A stop that leaves resources running (or a failed
// start whose rollback could not stop them) is where Heartbeat reboots the
// node (ResourceManager RecoverFromFailedStop). hbd never reboots, and it
// must not let the peer start the VIP while this node still has it: the
// group stays held (StopFailed, Phase Running, its class in rsc_hold=),
// nothing that announces a completed release is sent (standby info=done,
// ip-request-resp, shutdone, so an orderly shutdown waits), and the stop
// is retried every StopRetry until it succeeds. The engine logs CRIT
// "Resource STOP failure. Reboot required!" each time.
//
// References: heartbeat/hb_resource.c (process_resources,
// ask_for_resources, go_standby, req_our_resources, takeover_from_node,
// hb_rsc_recover_dead_resources, PerformAutoFailback, hb_giveup_resources),
// heartbeat/lib/req_resource.in, mach_down.in, rc.d/ip-request*,
// rc.d/hb_takeover.in (balabit-deps/balabit-os-6-heartbeat, = 3.0.6);
// anchors.md §1.6, heartbeat-wire.md §1-3.
package r1
