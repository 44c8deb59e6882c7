import { Injectable } from '@nestjs/common';

/** Set when SIGTERM arrives: /health/ready answers 503 at once, so a load balancer stops sending traffic. */
@Injectable()
export class ShutdownState {
  shuttingDown = false;
}
