import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import * as fs from 'node:fs';
import { publicKeyFingerprint, publicKeyPemOf, readSealPrivateKey } from '@rsi/ledger';
import { ApiError } from '../http/api-error';
import { SealPublicKeyDto } from '../http/api-responses.dto';
import { API_SETTINGS, type ApiSettings } from '../api-settings';
import { ErrorResponses } from '../http/openapi-document';

/**
 * The platform's seal public key, the auditors' trust anchor: public on purpose (no API key,
 * like /health: `PUBLIC` in the route table), because anyone who checks a
 * statement must be able to fetch it. Derived from the private key file on every request,
 * so that a rotation (`rsi-ledger seal-key rotate`) is published at once; never read from
 * the database, which an insider could change. Auditors should still compare it with the
 * key published out of band (docs/audit.md, "Threat model").
 */
@ApiTags('audit')
@Controller('v1')
export class SealPublicKeyController {
  constructor(@Inject(API_SETTINGS) private readonly settings: ApiSettings) {}

  @Get('seal-public-key')
  @ApiOkResponse({ type: SealPublicKeyDto, description: "The platform's Ed25519 seal public key (SPKI PEM). No API key needed." })
  @ErrorResponses([404, 500], { 404: 'no_seal_key: no seal key exists yet (the first seal creates it).' })
  sealPublicKey(): SealPublicKeyDto {
    const filePath = this.settings.sealPrivateKeyFile;
    if (!fs.existsSync(filePath)) throw new ApiError(404, 'no_seal_key', 'no seal key exists yet: the first seal creates it');
    const publicKey = publicKeyPemOf(readSealPrivateKey(filePath));
    return { algorithm: 'Ed25519', publicKey, fingerprint: publicKeyFingerprint(publicKey)! };
  }
}
