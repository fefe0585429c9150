package ivr

// QueueConfig is one named queue in ivrd.yaml under queues: agents and limits.
type QueueConfig struct {
	// Agents are FreeSWITCH endpoints such as user/1001 or sofia/gateway/carrier/5551234.
	Agents []string `yaml:"agents"`
}
