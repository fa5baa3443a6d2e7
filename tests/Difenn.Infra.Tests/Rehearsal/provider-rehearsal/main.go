// provider-rehearsal: runs ONE create, update or delete of a command:remote:Command or command:remote:CopyToRemote the
// way pulumi-command v1.2.1 does, with the same SSH and SFTP libraries it uses (golang.org/x/crypto/ssh,
// github.com/pkg/sftp). Written for the Difenn.Infra rehearsal tests; it is NOT the provider and NOT the Pulumi
// engine: the engine's part (diff, order, state) is done by the C# side. Followed, at tag v1.2.1:
//   provider/pkg/provider/remote/connection.go      SSHConfig (HostKey: FixedHostKey + HostKeyAlgorithms [type],
//                                                   else InsecureIgnoreHostKey), Dial (proxy, dialErrorLimit retries)
//   provider/pkg/provider/remote/commandOutputs.go  run: Setenv per environment entry (refusal = error), previous
//                                                   stdout/stderr as PULUMI_COMMAND_* when addPreviousOutputInEnv is
//                                                   unset or true (refusal = warning), stdin when non-empty, Run
//   provider/pkg/provider/remote/commandController.go Create runs create; Update runs update else create; Delete runs
//                                                   the stored delete
//   provider/pkg/provider/remote/copyController.go  copyToRemote: sftp; text asset to a file path, file to a path
// Input: one JSON request on stdin; output: {"stdout","stderr"} on stdout, or the error on stderr with exit 1.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

type connection struct {
	User           *string     `json:"user"`
	Host           *string     `json:"host"`
	Port           *float64    `json:"port"`
	PrivateKey     *string     `json:"privateKey"`
	HostKey        *string     `json:"hostKey"`
	DialErrorLimit *int        `json:"dialErrorLimit"`
	PerDialTimeout *int        `json:"perDialTimeout"`
	Proxy          *connection `json:"proxy"`
}

type request struct {
	Kind  string `json:"kind"` // command | copy
	Op    string `json:"op"`   // create | update | delete
	Input struct {
		Connection             *connection       `json:"connection"`
		Create                 *string           `json:"create"`
		Update                 *string           `json:"update"`
		Delete                 *string           `json:"delete"`
		Stdin                  *string           `json:"stdin"`
		Environment            map[string]string `json:"environment"`
		AddPreviousOutputInEnv *bool             `json:"addPreviousOutputInEnv"`
		SourceText             *string           `json:"sourceText"`
		SourcePath             *string           `json:"sourcePath"`
		RemotePath             string            `json:"remotePath"`
	} `json:"input"`
	Stdout string `json:"stdout"` // the previous run's outputs (state)
	Stderr string `json:"stderr"`
}

// defaults as Connection.Annotate sets them
func (c *connection) defaults() {
	if c.User == nil {
		u := "root"
		c.User = &u
	}
	if c.Port == nil {
		p := 22.0
		c.Port = &p
	}
	if c.DialErrorLimit == nil {
		d := 10
		c.DialErrorLimit = &d
	}
	if c.PerDialTimeout == nil {
		t := 15
		c.PerDialTimeout = &t
	}
}

// connection.go SSHConfig
func (c *connection) sshConfig() (*ssh.ClientConfig, error) {
	var hostKeyCallback ssh.HostKeyCallback
	var hostKeyAlgorithms []string
	if c.HostKey != nil {
		publicKey, _, _, _, err := ssh.ParseAuthorizedKey([]byte(*c.HostKey))
		if err != nil {
			return nil, fmt.Errorf("failed to parse host key: %w", err)
		}
		hostKeyCallback = ssh.FixedHostKey(publicKey)
		hostKeyAlgorithms = []string{publicKey.Type()}
	} else {
		hostKeyCallback = ssh.InsecureIgnoreHostKey()
	}
	config := &ssh.ClientConfig{User: *c.User, HostKeyCallback: hostKeyCallback, HostKeyAlgorithms: hostKeyAlgorithms,
		Timeout: time.Second * time.Duration(*c.PerDialTimeout)}
	if c.PrivateKey != nil {
		signer, err := ssh.ParsePrivateKey([]byte(*c.PrivateKey))
		if err != nil {
			return nil, err
		}
		config.Auth = append(config.Auth, ssh.PublicKeys(signer))
	}
	return config, nil
}

// connection.go dialWithRetry: up to dialErrorLimit failed attempts (retry.Until's growing delay, shortened).
func dialWithRetry[T any](msg string, max int, f func() (T, error)) (T, error) {
	delay := 100 * time.Millisecond
	for try := 0; ; try++ {
		result, err := f()
		if err == nil {
			return result, nil
		}
		if max > -1 && try+1 > max {
			var t T
			return t, fmt.Errorf("after %d failed attempts: %w", try, err)
		}
		fmt.Fprintf(os.Stderr, "%s %d/%d failed: retrying\n", msg, try+1, max)
		time.Sleep(delay)
		if delay < time.Second {
			delay = delay * 3 / 2
		}
	}
}

// connection.go Dial
func (c *connection) dial() (*ssh.Client, error) {
	c.defaults()
	config, err := c.sshConfig()
	if err != nil {
		return nil, err
	}
	endpoint := net.JoinHostPort(*c.Host, fmt.Sprintf("%d", int(*c.Port)))
	if c.Proxy == nil {
		return dialWithRetry("Dial", *c.DialErrorLimit, func() (*ssh.Client, error) { return ssh.Dial("tcp", endpoint, config) })
	}
	c.Proxy.defaults()
	proxyConfig, err := c.Proxy.sshConfig()
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	proxyClient, err := dialWithRetry("Dial proxy", *c.Proxy.DialErrorLimit, func() (*ssh.Client, error) {
		return ssh.Dial("tcp", net.JoinHostPort(*c.Proxy.Host, fmt.Sprintf("%d", int(*c.Proxy.Port))), proxyConfig)
	})
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	conn, err := dialWithRetry("Dial from proxy", *c.DialErrorLimit, func() (net.Conn, error) { return proxyClient.Dial("tcp", endpoint) })
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	sshConn, channels, requests, err := ssh.NewClientConn(conn, endpoint, config)
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	return ssh.NewClient(sshConn, channels, requests), nil
}

// commandOutputs.go run
func run(req *request, cmd string) (string, string, error) {
	client, err := req.Input.Connection.dial()
	if err != nil {
		return "", "", err
	}
	defer client.Close()
	session, err := client.NewSession()
	if err != nil {
		return "", "", err
	}
	defer session.Close()
	for k, v := range req.Input.Environment {
		if err := session.Setenv(k, v); err != nil {
			return "", "", fmt.Errorf("could not set environment variable %q: %w", k, err)
		}
	}
	if req.Input.AddPreviousOutputInEnv == nil || *req.Input.AddPreviousOutputInEnv {
		if req.Stdout != "" {
			if err := session.Setenv("PULUMI_COMMAND_STDOUT", req.Stdout); err != nil {
				fmt.Fprintln(os.Stderr, "warning: Unable to set 'PULUMI_COMMAND_STDOUT'")
			}
		}
		if req.Stderr != "" {
			if err := session.Setenv("PULUMI_COMMAND_STDERR", req.Stderr); err != nil {
				fmt.Fprintln(os.Stderr, "warning: Unable to set 'PULUMI_COMMAND_STDERR'")
			}
		}
	}
	if req.Input.Stdin != nil && len(*req.Input.Stdin) > 0 {
		session.Stdin = strings.NewReader(*req.Input.Stdin)
	}
	var stdout, stderr, both bytes.Buffer
	session.Stdout = io.MultiWriter(&stdout, &both)
	session.Stderr = io.MultiWriter(&stderr, &both)
	if err := session.Run(cmd); err != nil {
		return "", "", fmt.Errorf("%w: running %q:\n%s", err, cmd, both.String())
	}
	return strings.TrimSuffix(stdout.String(), "\n"), strings.TrimSuffix(stderr.String(), "\n"), nil
}

// copyController.go copyToRemote (text asset or a single file; directories are not used here)
func copyToRemote(req *request) error {
	client, err := req.Input.Connection.dial()
	if err != nil {
		return err
	}
	defer client.Close()
	sftpClient, err := sftp.NewClient(client, sftp.UseConcurrentWrites(true))
	if err != nil {
		return err
	}
	defer sftpClient.Close()
	dest := req.Input.RemotePath
	info, statErr := sftpClient.Stat(dest)
	if statErr != nil && !os.IsNotExist(statErr) {
		return fmt.Errorf("failed to stat remote path %s: %w", dest, statErr)
	}
	var src io.Reader
	if req.Input.SourceText != nil {
		if info != nil && info.IsDir() {
			return fmt.Errorf("remote path %s is a directory; when using a text asset, remotePath must be a file path", dest)
		}
		src = strings.NewReader(*req.Input.SourceText)
	} else {
		f, err := os.Open(*req.Input.SourcePath)
		if err != nil {
			return err
		}
		defer f.Close()
		if info != nil && info.IsDir() {
			dest = filepath.Join(dest, filepath.Base(*req.Input.SourcePath))
		}
		src = f
	}
	if info == nil {
		if err := sftpClient.MkdirAll(filepath.Dir(dest)); err != nil {
			return fmt.Errorf("failed to create parent directories for %s: %w", dest, err)
		}
	}
	remote, err := sftpClient.Create(dest)
	if err != nil {
		return fmt.Errorf("failed to create remote file %s: %w", dest, err)
	}
	defer remote.Close()
	_, err = remote.ReadFrom(src)
	return err
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "bad request:", err)
		os.Exit(2)
	}
	stdout, stderr := req.Stdout, req.Stderr
	var err error
	switch {
	case req.Kind == "copy" && req.Op != "delete":
		err = copyToRemote(&req) // CopyToRemote has no delete: a destroy leaves the file
	case req.Kind == "copy":
	case req.Op == "create" && req.Input.Create != nil:
		stdout, stderr, err = run(&req, *req.Input.Create)
	case req.Op == "update" && req.Input.Update != nil:
		stdout, stderr, err = run(&req, *req.Input.Update)
	case req.Op == "update" && req.Input.Create != nil:
		stdout, stderr, err = run(&req, *req.Input.Create)
	case req.Op == "delete" && req.Input.Delete != nil:
		_, _, err = run(&req, *req.Input.Delete)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(map[string]string{"stdout": stdout, "stderr": stderr})
}
