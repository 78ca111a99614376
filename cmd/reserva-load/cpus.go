package main

import (
	"flag"
	"fmt"
	"log"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The browse scenarios (the bare handler, the booking page, the availability JSON) run with the
// machine's CPUs split (-split, on by default when there are two CPUs or more): the server
// under test and the bare baseline on the upper half of the CPUs, wrk on the lower half.
//
// Visitors' phones are not on the server's machine. A browse answer takes the server tens of
// microseconds, and wrk sending 60,000 requests a second needs half a CPU itself: sharing the
// CPUs with the server, its own scheduling delays went into every latency it measured (the
// bare handler's p99 was 8 ms with wrk at nice 10 on the shared CPUs, 2 ms on a CPU of its
// own). With the split the server has half the machine, the bare baseline the same half.
// Loopback TCP still runs part of the receiver's network work on the sender's CPU, for the
// baseline as for Reserva. The report gives the same three scenarios unsplit as well.
//
// The other scenarios (bookings, the peer, the mixed loads) are not split: their Go clients
// take under a tenth of a CPU (the report says how much), their latencies are tens of
// milliseconds, and the booking writer and its requests use both CPUs; splitting would halve
// the server for a client that barely competes with it. They run on all CPUs, the clients at
// nice -client-nice, as do the raw inserts and the commands measured without load.
var splitFlag = flag.Bool("split", true, "run the browse scenarios with the server and wrk on separate CPUs (when there are 2 or more)")

// cpuSplit is the split: each side's CPUs, empty when the machine is not split.
var cpuSplit struct {
	server, client []int
}

// splitCPUs fills cpuSplit from the CPUs this process may run on.
func splitCPUs() {
	if !*splitFlag {
		return
	}
	var set unix.CPUSet
	check(unix.SchedGetaffinity(0, &set))
	var cpus []int
	for c := range 1024 {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	if len(cpus) < 2 {
		log.Printf("one CPU: the servers and the clients share it")
		return
	}
	half := len(cpus) / 2
	cpuSplit.client, cpuSplit.server = cpus[:half], cpus[half:]
	if _, err := exec.LookPath("taskset"); err != nil {
		log.Fatalf("-split needs taskset (util-linux): %v", err)
	}
}

// split reports whether the machine is split.
func split() bool { return len(cpuSplit.server) > 0 }

// cpuList is a CPU list as taskset takes it ("1", "2,3").
func cpuList(cpus []int) string {
	s := make([]string, len(cpus))
	for i, c := range cpus {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ",")
}

// onServerCPUs is exec.Command for the side under test of a split scenario: on the server's
// CPUs when the machine is split.
func onServerCPUs(pinned bool, name string, args ...string) *exec.Cmd {
	if !pinned || !split() {
		return exec.Command(name, args...)
	}
	return exec.Command("taskset", append([]string{"-c", cpuList(cpuSplit.server), name}, args...)...)
}

// onClientCPUs is exec.Command for a load client: on the clients' CPUs in a split scenario,
// else on all CPUs at nice -client-nice (giving way to the server). It returns how many CPUs
// the client has.
func onClientCPUs(pinned bool, name string, args ...string) (*exec.Cmd, int) {
	if !pinned || !split() {
		return exec.Command("nice", append([]string{"-n", strconv.Itoa(*clientNice), name}, args...)...), runtime.NumCPU()
	}
	return exec.Command("taskset", append([]string{"-c", cpuList(cpuSplit.client), name}, args...)...), len(cpuSplit.client)
}

// splitNote describes the split for the report.
func splitNote() string {
	if !split() {
		return fmt.Sprintf("browse not split: servers and clients share the CPUs, the clients at nice %d", *clientNice)
	}
	return fmt.Sprintf("browse split: the server under test on CPU %s, wrk on CPU %s; the rest on all CPUs, the clients at nice %d",
		cpuList(cpuSplit.server), cpuList(cpuSplit.client), *clientNice)
}
