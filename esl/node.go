package esl

// Node is one FreeSWITCH's inbound event socket, as written in ivrd.yaml.
// (Owned by the esl package; extended there.)
type Node struct {
	Name         string `yaml:"name"`
	Address      string `yaml:"address"`       // host:8021
	Password     string `yaml:"password"`      // discouraged: prefer password_env or password_file
	PasswordEnv  string `yaml:"password_env"`  // name of an environment variable holding the password
	PasswordFile string `yaml:"password_file"` // file holding the password
}
