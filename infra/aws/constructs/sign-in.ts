import { Duration, RemovalPolicy, SecretValue } from "aws-cdk-lib";
import {
  AccountRecovery,
  type AttributeMapping,
  CfnManagedLoginBranding,
  type CfnUserPoolClient,
  CfnUserPoolGroup,
  ClientAttributes,
  FeaturePlan,
  LambdaVersion,
  ManagedLoginVersion,
  Mfa,
  OAuthScope,
  ProviderAttribute,
  type StandardAttributesMask,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
  UserPoolIdentityProviderOidc,
  UserPoolIdentityProviderSaml,
  UserPoolIdentityProviderSamlMetadata,
  UserPoolOperation,
} from "aws-cdk-lib/aws-cognito";
import { Construct } from "constructs";
import { GROUPS } from "../../../api/access.ts";
import { PORTAL_SCOPE } from "../../../api/portal-config.ts";
import type { IdentityProviderContext } from "../context.ts";
import { TRUSTED_EMAIL_PROVIDER } from "../functions/pre-token-generation.ts";
import { acknowledge } from "../nag.ts";
import { HandlerFunction } from "./handler-function.ts";

export interface SignInProps {
  /** The portal's origin (`https://...`): where sign-in returns to and sign-out lands. */
  portalUrl: string;
  /** An organization's identity provider, offered on the sign-in page besides the pool's own accounts. */
  identityProvider?: IdentityProviderContext;
  /** The managed login's domain prefix: unique per region, as Cognito's own domains must be. */
  domainPrefix: string;
}

/** Where the portal finishes a sign-in (its `/auth/callback` route). */
export const SIGN_IN_CALLBACK_PATH = "/auth/callback";

/** How long an access token is good for; the portal renews it with its refresh token before then. */
export const ACCESS_TOKEN_VALIDITY = Duration.hours(1);

/** How long the portal may keep renewing without asking the user to sign in again. */
export const REFRESH_TOKEN_VALIDITY = Duration.days(30);

/**
 * What the portal's tokens may write of their own user when nothing is federated. Cognito reads an
 * empty list as "every standard attribute", email included, so the list names one attribute nothing
 * reads. (The tokens cannot write anyway: they lack the `aws.cognito.signin.user.admin` scope.)
 */
const NOTHING_THE_API_READS: StandardAttributesMask = { locale: true };

export const PRE_TOKEN_GENERATION_HANDLER = {
  entry: "infra/aws/functions/pre-token-generation.ts",
  exportName: "handler",
} as const;

/** SAML has no standard names for them: these are the claim URIs most providers (Entra ID, AD FS, Okta) send. */
const SAML_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress";
const SAML_NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name";

/**
 * Who may use the portal and the API: a Cognito user pool with managed login, the groups the API admits
 * (api/access.ts), the portal's app client, and optionally the organization's own identity provider.
 * Nobody signs up: an administrator creates users (or they arrive through the federated provider) and
 * puts them in groups.
 */
export class SignIn extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly domain: UserPoolDomain;
  /** The issuer of the pool's tokens (`https://cognito-idp.<region>.amazonaws.com/<poolId>`). */
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly preTokenGeneration: HandlerFunction;

  constructor(scope: Construct, id: string, props: SignInProps) {
    super(scope, id);
    this.preTokenGeneration = new HandlerFunction(this, "PreTokenGeneration", {
      service: "sign-in",
      handler: PRE_TOKEN_GENERATION_HANDLER,
      invocation: "sign-in",
      description: "Sign-in: puts the user's email and name into the access token the API reads",
      environment: props.identityProvider?.trustEmails
        ? { [TRUSTED_EMAIL_PROVIDER]: props.identityProvider.name }
        : {},
    });
    acknowledge(
      this.preTokenGeneration.function,
      "Serverless-LambdaDLQ",
      "Invoked synchronously by Cognito while it issues tokens: a failure fails that sign-in, there is no event to keep",
    );

    this.userPool = new UserPool(this, "Users", {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: {
        email: { required: true, mutable: true },
        fullname: { required: false, mutable: true },
      },
      // A changed address counts only once its owner confirms it: until then the verified one stays.
      keepOriginal: { email: true },
      // The pre token generation trigger's V2_0 event (claims in access tokens) needs Essentials or Plus.
      featurePlan: FeaturePlan.ESSENTIALS,
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      // Users and their groups outlive a deployment, like the request records.
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.userPool.addTrigger(
      UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG,
      this.preTokenGeneration.function,
      LambdaVersion.V2_0,
    );
    acknowledge(
      this.userPool,
      "AwsSolutions-COG2",
      "MFA is optional: users of the organization's identity provider get its MFA there, and pool users can enroll an authenticator app; requiring it would lock out federated users Cognito cannot challenge",
    );
    acknowledge(
      this.userPool,
      "AwsSolutions-COG8",
      "Essentials is the plan the access-token claims need; the Plus plan's threat protection is a per-user cost an organization can switch on in the console without changing the stack, and federated users are protected by their own provider",
    );

    for (const group of GROUPS) {
      new CfnUserPoolGroup(this, `Group-${group}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: group,
        description: `Members are ${group} of resource approvals (api/access.ts)`,
      });
    }

    const mapping = props.identityProvider && attributeMappingOf(props.identityProvider);
    const federated = props.identityProvider && mapping && this.federate(props.identityProvider, mapping);
    this.client = this.userPool.addClient("Portal", {
      generateSecret: false,
      // Cognito writes a federated user's mapped attributes through the client at each sign-in, so those
      // must be writable; nothing else is (a requester who could set their email could pass for anyone).
      writeAttributes: new ClientAttributes().withStandardAttributes(
        mapping
          ? Object.fromEntries(Object.keys(mapping).map((attribute) => [attribute, true]))
          : NOTHING_THE_API_READS,
      ),
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: PORTAL_SCOPE.split(" ").map((scope) => OAuthScope.custom(scope)),
        callbackUrls: [`${props.portalUrl}${SIGN_IN_CALLBACK_PATH}`],
        logoutUrls: [`${props.portalUrl}/`],
      },
      supportedIdentityProviders: [
        UserPoolClientIdentityProvider.COGNITO,
        ...(federated ? [UserPoolClientIdentityProvider.custom(federated.providerName)] : []),
      ],
      accessTokenValidity: ACCESS_TOKEN_VALIDITY,
      idTokenValidity: ACCESS_TOKEN_VALIDITY,
      refreshTokenValidity: REFRESH_TOKEN_VALIDITY,
      enableTokenRevocation: true,
      preventUserExistenceErrors: true,
    });
    // The portal signs in only on the managed login (authorization code with PKCE): no SRP or password
    // flow on the user pools API, whose tokens would carry the scope that lets a user edit themselves.
    // An empty authFlows would leave Cognito's defaults (SRP and custom auth), hence the escape hatch.
    (this.client.node.defaultChild as CfnUserPoolClient).explicitAuthFlows = ["ALLOW_REFRESH_TOKEN_AUTH"];
    if (federated) this.client.node.addDependency(federated);

    this.domain = this.userPool.addDomain("Domain", {
      cognitoDomain: { domainPrefix: props.domainPrefix },
      managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    const branding = new CfnManagedLoginBranding(this, "Branding", {
      userPoolId: this.userPool.userPoolId,
      clientId: this.client.userPoolClientId,
      useCognitoProvidedValues: true,
    });
    branding.node.addDependency(this.domain);

    this.issuer = this.userPool.userPoolProviderUrl;
    this.jwksUrl = `${this.issuer}/.well-known/jwks.json`;
  }

  /** The organization's provider, asked for the user's email and name. */
  private federate(
    provider: IdentityProviderContext,
    attributeMapping: AttributeMapping,
  ): UserPoolIdentityProviderSaml | UserPoolIdentityProviderOidc {
    if (provider.type === "saml") {
      return new UserPoolIdentityProviderSaml(this, "Federation", {
        userPool: this.userPool,
        name: provider.name,
        metadata: UserPoolIdentityProviderSamlMetadata.url(provider.metadataUrl),
        attributeMapping,
      });
    }
    return new UserPoolIdentityProviderOidc(this, "Federation", {
      userPool: this.userPool,
      name: provider.name,
      issuerUrl: provider.issuerUrl,
      clientId: provider.clientId,
      // A dynamic reference: CloudFormation reads the secret at deploy time, the template never holds it.
      clientSecret: SecretValue.secretsManager(provider.clientSecretArn).unsafeUnwrap(),
      scopes: PORTAL_SCOPE.split(" "),
      attributeMapping,
    });
  }
}

/**
 * The provider's claims each user pool attribute takes: the email, whether the provider verified it
 * (OIDC's `email_verified`, or the SAML attribute the context names), and the name.
 */
const attributeMappingOf = (provider: IdentityProviderContext): AttributeMapping =>
  provider.type === "saml"
    ? {
        email: ProviderAttribute.other(SAML_EMAIL),
        fullname: ProviderAttribute.other(SAML_NAME),
        ...(provider.emailVerifiedAttribute && {
          emailVerified: ProviderAttribute.other(provider.emailVerifiedAttribute),
        }),
      }
    : {
        email: ProviderAttribute.other("email"),
        emailVerified: ProviderAttribute.other("email_verified"),
        fullname: ProviderAttribute.other("name"),
      };
