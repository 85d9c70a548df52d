using System.Security.Cryptography;

using IdeaScale.Portal.Scim;

namespace IdeaScale.Portal.Security;

/// <summary>
/// Response headers that limit what a browser does with the portal's pages, on every response (errors, redirects
/// and re-executed status pages included: the headers are added as the response starts).
/// <list type="bullet">
/// <item><c>Content-Security-Policy</c>: scripts only from this origin, plus the one inline script Blazor renders
/// (the import map in App.razor), which carries a per-request nonce (<see cref="Nonce"/>). <c>connect-src 'self'</c>
/// covers Blazor Server's WebSocket (CSP Level 3 matches ws:/wss: of the same host to 'self'). Styles allow
/// <c>'unsafe-inline'</c>: MudBlazor sets inline <c>style</c> attributes on its components and from its JavaScript,
/// and there is no nonce for attributes; an injected style cannot run script. Images may be <c>data:</c> URIs (the
/// QR code of the authenticator and SCIM pages, icons in app.css).</item>
/// <item><c>X-Content-Type-Options: nosniff</c>, <c>Referrer-Policy: strict-origin-when-cross-origin</c>, and frame
/// protection (<c>frame-ancestors 'self'</c> and <c>X-Frame-Options: SAMEORIGIN</c> for older browsers).</item>
/// </list>
/// SCIM responses (JSON for IdPs, never rendered) get <c>nosniff</c> and the referrer policy only.
/// </summary>
public static class SecurityHeaders
{
    private const string NonceKey = "IdeaScale.CspNonce";
    private const string FormActionKey = "IdeaScale.CspFormAction";

    /// <summary>Placed before the SCIM branch (<see cref="ScimEndpoints.UseScim"/>) so that SCIM responses get their headers too.</summary>
    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        app.Use(static (context, next) =>
        {
            context.Response.OnStarting(static state => Apply((HttpContext)state), context);
            return next(context);
        });
        return app;
    }

    /// <summary>This response's CSP nonce, for an inline <c>&lt;script&gt;</c> the page must render (created on first use).</summary>
    public static string Nonce(HttpContext context)
    {
        if (context.Items[NonceKey] is not string nonce)
        {
            // Hex: no character that HTML attribute encoding would change.
            nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            context.Items[NonceKey] = nonce;
        }

        return nonce;
    }

    /// <summary>
    /// Lets this response's forms lead to <paramref name="target"/>'s origin as well as this one: browsers apply
    /// form-action to the redirects after a submission too. Only for a target the app has validated (the OAuth consent
    /// page: the client's registered redirect URI).
    /// </summary>
    public static void AllowFormRedirectTo(HttpContext context, Uri target)
    {
        if (target.Scheme is "https" or "http")
        {
            context.Items[FormActionKey] = target.GetLeftPart(UriPartial.Authority);
        }
    }

    /// <summary>
    /// The portal's policy; <paramref name="nonce"/> is allowed to run inline script when given, and forms may also
    /// lead to <paramref name="formTarget"/> (an origin) when given.
    /// </summary>
    public static string ContentSecurityPolicy(string? nonce, string? formTarget = null) =>
        "default-src 'self'; "
        + (nonce is null ? "script-src 'self'; " : $"script-src 'self' 'nonce-{nonce}'; ")
        + "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        + "object-src 'none'; base-uri 'self'; "
        + (formTarget is null ? "form-action 'self'; " : $"form-action 'self' {formTarget}; ")
        + "frame-ancestors 'self'";

    private static Task Apply(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
        if (!ScimEndpoints.IsScimRequest(context))
        {
            // Set, not added: Blazor's own frame-ancestors-only policy would otherwise be sent beside this one.
            headers.ContentSecurityPolicy = ContentSecurityPolicy(context.Items[NonceKey] as string, context.Items[FormActionKey] as string);
            headers.XFrameOptions = "SAMEORIGIN";
        }

        return Task.CompletedTask;
    }
}
