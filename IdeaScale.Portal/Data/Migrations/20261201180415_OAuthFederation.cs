using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IdeaScale.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class OAuthFederation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "FederationAudience",
                table: "ScimOAuthClients",
                type: "TEXT",
                maxLength: 512,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "FederationId",
                table: "ScimOAuthClients",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "FederationIssuer",
                table: "ScimOAuthClients",
                type: "TEXT",
                maxLength: 512,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "FederationJwksUrl",
                table: "ScimOAuthClients",
                type: "TEXT",
                maxLength: 2048,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "FederationSubject",
                table: "ScimOAuthClients",
                type: "TEXT",
                maxLength: 512,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "FederationAudience",
                table: "ScimOAuthClients");

            migrationBuilder.DropColumn(
                name: "FederationId",
                table: "ScimOAuthClients");

            migrationBuilder.DropColumn(
                name: "FederationIssuer",
                table: "ScimOAuthClients");

            migrationBuilder.DropColumn(
                name: "FederationJwksUrl",
                table: "ScimOAuthClients");

            migrationBuilder.DropColumn(
                name: "FederationSubject",
                table: "ScimOAuthClients");
        }
    }
}
