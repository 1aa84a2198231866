#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
/* flood port count: SNTP requests from count distinct 127.x.y.z sources (IP_PKTINFO), 64 per sendmmsg */
int main(int argc, char **argv) {
  int port = atoi(argv[1]); long count = atol(argv[2]);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  static unsigned char req[48]; req[0] = 0x23;
  struct mmsghdr m[64]; struct iovec iov[64];
  union { char b[CMSG_SPACE(sizeof(struct in_pktinfo))]; struct cmsghdr a; } ctl[64];
  long sent = 0;
  while (sent < count) {
    int n = 0;
    for (; n < 64 && sent + n < count; n++) {
      long i = sent + n + 1;
      memset(&m[n], 0, sizeof m[n]);
      iov[n].iov_base = req; iov[n].iov_len = 48;
      m[n].msg_hdr.msg_name = &to; m[n].msg_hdr.msg_namelen = sizeof to;
      m[n].msg_hdr.msg_iov = &iov[n]; m[n].msg_hdr.msg_iovlen = 1;
      m[n].msg_hdr.msg_control = ctl[n].b; m[n].msg_hdr.msg_controllen = sizeof ctl[n].b;
      struct cmsghdr *c = CMSG_FIRSTHDR(&m[n].msg_hdr);
      c->cmsg_level = IPPROTO_IP; c->cmsg_type = IP_PKTINFO; c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
      struct in_pktinfo pi = {0};
      pi.ipi_spec_dst.s_addr = htonl(0x7f000000u | ((i % 16777214) + 1));
      memcpy(CMSG_DATA(c), &pi, sizeof pi);
    }
    int r = sendmmsg(fd, m, n, 0);
    if (r < 0) { perror("sendmmsg"); usleep(100); continue; }
    sent += r;
  }
  printf("sent %ld\n", sent);
  return 0;
}
