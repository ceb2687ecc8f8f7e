/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_RUNTIME_ATTACH_H
#define RCR_RUNTIME_ATTACH_H

/* The protocol between a detached container's monitor and `rcr attach`: a
   SOCK_SEQPACKET socket named RCR_ATTACH_SOCKET in the container's run_dir. Each message
   starts with one of these bytes. From the monitor: STDOUT/STDERR plus the container's
   output, and END as the last message once the container has ended and its exit is
   recorded (an end of the socket without it: the monitor dropped a client too slow to
   take the output). From a client: STDIN plus data (a lone STDIN byte: our stdin ended), WINSIZE
   plus a struct winsize for the container's terminal. */
#define RCR_ATTACH_SOCKET "attach"

enum
{
  RCR_ATTACH_STDIN = 0,
  RCR_ATTACH_STDOUT = 1,
  RCR_ATTACH_STDERR = 2,
  RCR_ATTACH_WINSIZE = 3,
  RCR_ATTACH_END = 4,
};

#endif
