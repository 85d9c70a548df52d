using IdeaScale.Portal.Scim.Credentials.OAuth;

using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;

using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;

namespace IdeaScale.Portal.Scim.Credentials.AuthorizationCode;

/// <summary>
/// The consent form's answer (POST <see cref="OAuthServerSetup.ConsentPath"/>, a second URI of OpenIddict's authorization
/// endpoint, so OpenIddict has validated the posted authorization request again: client, redirect URI, PKCE
/// challenge). Signed-in accounts only; the antiforgery token is checked. Approve with a workspace the account may
/// connect: OpenIddict redirects to the client with the code. Deny: redirect with access_denied. Anything else
/// (no workspace picked, one the account may not connect): back to the consent page with a message.
/// </summary>
public static class OAuthConsentEndpoint
{
    /// <summary>Form fields of the consent page besides the authorization request's own parameters.</summary>
    public const string WorkspaceField = "consent_workspace";
    public const string DecisionField = "consent_decision";
    public const string ErrorParameter = "consent_error";
    public const string Approve = "approve";
    public const string Deny = "deny";

    /// <summary>The values of <see cref="ErrorParameter"/> the consent page explains.</summary>
    public const string ErrorPickWorkspace = "pick";
    public const string ErrorNotAllowed = "not_allowed";

    public static async Task<IResult> DecideAsync(HttpContext context, IAntiforgery antiforgery, OAuthGrants grants)
    {
        var request = context.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenIddict server request cannot be retrieved.");
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return Results.Text("The consent form expired or did not come from this site. Go back to your identity provider and start again.",
                "text/plain; charset=utf-8", statusCode: StatusCodes.Status400BadRequest);
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (form[DecisionField] == Deny)
        {
            return Results.Forbid(new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = OpenIddictConstants.Errors.AccessDenied,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = "The workspace administrator denied the request.",
            }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        if (form[DecisionField] != Approve || !Guid.TryParse(form[WorkspaceField], out var workspaceId))
        {
            return BackToConsent(form, ErrorPickWorkspace);
        }

        try
        {
            var principal = await grants.ConsentAsync(context.User, workspaceId, request.ClientId!, request.GetScopes(), context.RequestAborted);
            return Results.SignIn(principal, properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }
        catch (UnauthorizedAccessException)
        {
            return BackToConsent(form, ErrorNotAllowed);
        }
    }

    /// <summary>
    /// 303 to the consent page with the authorization request's parameters (the protocol put them in its URL in the
    /// first place) and the reason; the form's own fields stay out.
    /// </summary>
    private static SeeOther BackToConsent(IFormCollection form, string error)
    {
        var parameters = form
            .Where(f => f.Key is not (WorkspaceField or DecisionField or ErrorParameter or "__RequestVerificationToken"))
            .Select(f => new KeyValuePair<string, string?>(f.Key, f.Value.ToString()))
            .Append(new(ErrorParameter, error));
        var url = Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(OAuthServerSetup.AuthorizePath, parameters);
        return new SeeOther(url);
    }

    /// <summary>303 See Other: the browser follows a POST's answer with a GET.</summary>
    private sealed class SeeOther(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
            httpContext.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }
}
