// Client subcommands that talk to a node over HTTP: subject add, put, get, rm, ls.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>

#include "CLI/CLI.hpp"
#include "cli/client_call.h"
#include "cli/commands.h"
#include "fmt/format.h"
#include "http/client.h"
#include "nlohmann/json.hpp"
#include "util/file.h"

namespace domicile::cli {
namespace {

std::string RecordTarget(const std::string& subject, const std::string& key) {
  return fmt::format("/v1/subjects/{}/records/{}", PercentEncode(subject), PercentEncode(key));
}

}  // namespace

void AddClientCommands(CLI::App& app, int& exit_code) {
  // subject add
  {
    struct Args {
      Common common;
      std::string id, jurisdiction;
    };
    auto a = std::make_shared<Args>();
    CLI::App* subject = app.add_subcommand("subject", "Manage subjects on a node");
    subject->require_subcommand(1);
    CLI::App* add = subject->add_subcommand("add", "Register a subject in its home jurisdiction");
    add->add_option("id", a->id, "Subject id")->required();
    add->add_option("--jurisdiction,-j", a->jurisdiction, "Home jurisdiction, e.g. US")->required();
    AddCommon(add, a->common);
    add->callback([a, &exit_code] {
      nlohmann::json body = {{"id", a->id}, {"jurisdiction", a->jurisdiction}};
      auto r = Call("subject add", a->common, "POST", "/v1/subjects", body.dump());
      if (!r) {
        exit_code = 1;
        return;
      }
      std::cout << "subject " << a->id << " in " << a->jurisdiction
                << (r->status == 201 ? ": registered\n" : ": already registered\n");
    });
  }
  // put
  {
    struct Args {
      Common common;
      std::string subject, key, value, file, classification = "protected", site;
      bool has_value = false;
    };
    auto a = std::make_shared<Args>();
    CLI::App* put =
        app.add_subcommand("put", "Write a record (value from argument, --file or stdin)");
    put->add_option("subject", a->subject, "Subject id")->required();
    put->add_option("key", a->key, "Record key")->required();
    put->add_option("value", a->value, "The value (omit to use --file or stdin)");
    put->add_option("--file,-f", a->file, "Read the value from this file");
    put->add_option("--class,-c", a->classification, "public or protected (default protected)")
        ->check(CLI::IsMember({"public", "protected"}));
    put->add_option("--site", a->site, "Target site (must be allowed for the subject)");
    AddCommon(put, a->common);
    put->callback([a, put, &exit_code] {
      std::string value = a->value;
      if (!a->file.empty()) {
        absl::StatusOr<std::string> data = ReadFileToString(a->file);
        if (!data.ok()) {
          std::cerr << "domicile put: " << data.status().message() << "\n";
          exit_code = 1;
          return;
        }
        value = std::move(*data);
      } else if (put->count("value") == 0) {
        value.assign(std::istreambuf_iterator<char>(std::cin), {});
      }
      std::string target = RecordTarget(a->subject, a->key) + "?class=" + a->classification;
      if (!a->site.empty()) target += "&site=" + PercentEncode(a->site);
      auto r = Call("put", a->common, "PUT", target, value);
      if (!r) {
        exit_code = 1;
        return;
      }
      nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
      std::cout << a->subject << "/" << a->key << ": version " << j.value("version", 0) << " at "
                << j.value("site", "?") << "\n";
    });
  }
  // get
  {
    struct Args {
      Common common;
      std::string subject, key;
    };
    auto a = std::make_shared<Args>();
    CLI::App* get = app.add_subcommand("get", "Read a record's value to standard output");
    get->add_option("subject", a->subject, "Subject id")->required();
    get->add_option("key", a->key, "Record key")->required();
    AddCommon(get, a->common);
    get->callback([a, &exit_code] {
      auto r = Call("get", a->common, "GET", RecordTarget(a->subject, a->key));
      if (!r) {
        exit_code = 1;
        return;
      }
      std::fwrite(r->body.data(), 1, r->body.size(), stdout);
      std::fflush(stdout);
    });
  }
  // rm
  {
    struct Args {
      Common common;
      std::string subject, key;
    };
    auto a = std::make_shared<Args>();
    CLI::App* rm = app.add_subcommand("rm", "Delete a record");
    rm->add_option("subject", a->subject, "Subject id")->required();
    rm->add_option("key", a->key, "Record key")->required();
    AddCommon(rm, a->common);
    rm->callback([a, &exit_code] {
      if (!Call("rm", a->common, "DELETE", RecordTarget(a->subject, a->key))) {
        exit_code = 1;
        return;
      }
      std::cout << a->subject << "/" << a->key << ": deleted\n";
    });
  }
  // ls
  {
    struct Args {
      Common common;
      std::string subject;
    };
    auto a = std::make_shared<Args>();
    CLI::App* ls = app.add_subcommand("ls", "List a subject's records (keys, class, version)");
    ls->add_option("subject", a->subject, "Subject id")->required();
    AddCommon(ls, a->common);
    ls->callback([a, &exit_code] {
      auto r = Call("ls", a->common, "GET",
                    fmt::format("/v1/subjects/{}/records", PercentEncode(a->subject)));
      if (!r) {
        exit_code = 1;
        return;
      }
      nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
      if (!j.is_object() || !j.contains("records")) {
        std::cerr << "domicile ls: unexpected answer from the node\n";
        exit_code = 1;
        return;
      }
      for (const auto& rec : j["records"]) {
        std::cout << fmt::format("{:<32} {:<9} v{:<6} {}\n", rec.value("key", ""),
                                 rec.value("class", ""), rec.value("version", 0),
                                 rec.value("site", ""));
      }
    });
  }
}

}  // namespace domicile::cli
