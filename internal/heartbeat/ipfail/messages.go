package ipfail

// ipfail's log lines (contrib/ipfail/ipfail.c, Heartbeat 3.0.6), word for
// word; TestMessages pins them.
const (
	MsgNodeStatus      = "Status update: Node %s now has status %s"
	MsgStillAlive      = "NS: We are still alive!"
	MsgWeAreDeadNS     = "NS: We are dead. :<"
	MsgPingCameUp      = "A ping node just came up."
	MsgLinkStatus      = "Link Status update: Link %s/%s now has status %s"
	MsgCheckRemote     = "Checking remote count of ping nodes."
	MsgWeAreDead       = "We are dead. :<"
	MsgAsking          = "Asking other side for ping node count."
	MsgGotAsked        = "Got asked for num_ping."
	MsgTellMore        = "Telling other node that we have more visible ping nodes."
	MsgGiveUpLess      = "Giving up because we have less visible ping nodes."
	MsgBalanced        = "Ping node count is balanced."
	MsgGiveUpForeign   = "Giving up foreign resources (auto_failback)."
	MsgToldLess        = "Giving up because we were told that we have less ping nodes."
	MsgDelayedGiveUp   = "Delayed giveup in %d seconds."
	MsgGiveUpCalled    = "giveup() called (timeout worked)"
	MsgAborted         = "Aborted delayed giveup (%d)"
	MsgNoTimer         = "No giveup timer to abort."
	MsgPeerStable      = "Other side is now stable."
	MsgPeerUnstable    = "Other side is unstable."
	MsgPeerJoined      = "Got join message from another ipfail client. (%s)"
	MsgLegacy          = "auto_failback set to incompatible legacy option."
	MsgGiveUpPostponed = "giveup postponed: resources in transition; comparing again once the peer reports itself stable" // hbd's own
	MsgGiveUpNothing   = "giveup of %s resources: this node holds none of them"                                           // hbd's own
)

// Wire words of ipfail's messages (ipfail.c, ipfail.h, hb_api.c).
const (
	TypeNumPing    = "num_ping_nodes" // field FieldNumPing: the sender's live ping nodes
	TypeYouAreDead = "you_are_dead"
	TypeAbort      = "abort_giveup"
	TypeClientStat = "hbapi-clstat" // T_APICLISTAT: an API client joined or left
	FieldNumPing   = "num_ping"     // F_NUMPING
	ClientID       = "ipfail"       // from_id= and to_id= of its messages
	StatusJoin     = "join"         // JOINSTATUS
	StatusLeave    = "leave"        // LEAVESTATUS
)
