import { isLoopbackHost } from './api-server';

describe('isLoopbackHost', () => {
  it('tells loopback addresses from the others', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', 'LOCALHOST']) expect({ host, loopback: isLoopbackHost(host) }).toEqual({ host, loopback: true });
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.5', 'example.com', '127.0.0.1.example.com']) expect({ host, loopback: isLoopbackHost(host) }).toEqual({ host, loopback: false });
  });
});
