namespace IdeaScale.Portal.Security;

/// <summary>Account-security settings of the portal (configuration section "Portal").</summary>
public sealed class AccountSecurityOptions
{
    public const string Section = "Portal";

    /// <summary>
    /// Customer-success accounts must have enrolled an authenticator app (2FA) before they reach the console.
    /// Null means the default: on outside Development, off in Development.
    /// </summary>
    public bool? RequireCsmTwoFactor { get; set; }

    /// <summary>How often an open Blazor circuit re-checks the account's security stamp (minutes), so a removed role
    /// or a password change takes effect without waiting for a new sign-in.</summary>
    public double RevalidationMinutes { get; set; } = 30;
}
