"""The request examples of the management API reference, exactly as printed there.

They are shown in the OpenAPI documentation at `/docs` (and the tests send each one,
with real ids, to prove the server accepts it). Key spellings and malformed ids are
the reference's own."""

LOGIN_REQUEST = """{
    "email":"admin@company.com",
   "password":"admin123",
    "rememberMe":true
}"""

ORGANIZATIONS_GETMANY_REQUEST = """{
    "limit": 2,
    "orderby": "Name",
    "ordertype": "asc",
    "Page": 2
}"""

LIST_ASSIGNED_REQUEST = """{
    "limit":5,
    "page":5,
    "organizationid":"a4a4acgd0-eg78f-4a4ac-kl39-99ka4ac1e777ff"
}"""

ATTACH_GIT_REPOSITORY_REQUEST = """{
    "planid":"hjkhkj60b-baac-4564-a92d-918e6940b136",
    "repositoryid":"ca4ac8f1c-a425-4869-8757-32c6567gc9aeb"
}"""

ATTACH_AZURE_PROJECT_REQUEST = """{
    "planId":"ea6a260b-brrc-4204-a56c-918e6940b136",
    "projectId": "c1961r1e-a425-4769-8757-32d6b6fc7aeb"
}"""

DETACH_GIT_REPOSITORY_REQUEST = """{
    "planid":"hjkhkj60b-baac-4564-a92d-918e6940b136",
    "repositoryid":"a4ac8f1c-a425-48hj-8757-32hj567gchjeb"
}"""

DETACH_AZURE_PROJECT_REQUEST = """{
    "planId": "05d46e44-f026-4cf9-a64a-1dd97328808c",
    "projectId": "022056bd-0044-0000-0000-004400000003"
}"""

MODIFY_GIT_PLAN_REQUEST = """{
   "id":"a4acc15-b08b-40cb-a4ac-5e40ea4ac54",
   "isActive":true,
   "name":"example",
   "backupType":5,
   "schedule":{
      "id":"a4ac21-6da6-4c8c-a4ac5-f2ffca4ac516",
      "scheme":3,
      "delay":0,
      "preventSystemSleep":false,
      "options":[
         {
            "type":1,
            "trigger":1,
            "frequency":1,
            "days":[
               1
            ],
            "startAt":[
               {
                  "hour":17,
                  "minute":25
               }
            ],
            "interval":0,
            "nthDayOfWeek":0
         },
         {
            "type":3,
            "trigger":1,
            "frequency":3,
            "days":[
               1,
               2,
               3,
               4,
               5
            ],
            "startAt":[
               {
                  "hour":17,
                  "minute":25
               }
            ],
            "interval":0,
            "nthDayOfWeek":0
         }
      ],
      "backupWindow":
      [
         [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],
         [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],
         [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],
         [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],
         [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],
         [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],
         [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]
      ],
      "retention":{
         "id":"00000000-0000-0000-0000-000000000000",
         "rule":1,
         "options":null,
         "order":0
      }
   },
   "compressionSettings":{
      "codec":2,
      "level":2
   },
   "encryptionSettings":null,
   "customActions":{
      "preBackupAction":null,
      "postSnapshotAction":null,
      "postBackupAction":null
   },
   "advancedOptions":{
      "useVss":"True",
      "maxTaskRetriesCount":"3",
      "taskRetriesFrequency":"60000",
      "maxConcurrentTasks":"5",
      "processorProperties_PartSize":"1048576"
   },
   "deltaSettings":null,
   "workerId":"a4ac1eb-bbe7-a4ac-b3da-a4acf5642a",
   "filteringSettings":null,
   "organizationId":"a4ac2cd0-ea4ac-4ced-be39-6a4ace033ff",
   "repositoriesIds":[
      "c1961c1c-a425-4769-8757-32d5b6fc9aeb"
   ],
   "includeAllRepositories":false,
   "includeMetadata":true,
   "storageId":"a4ac74ac-7a4ac-4fec-9448-a4ace9267d7"
}"""

MODIFY_AZURE_PLAN_REQUEST = """{
  "id":"f4b99db4-c0e9-4111-9292-ffc5812aad2c",
  "isActive":true,
  "name":"Plan DevOps",
  "backupType":10,
  "schedule":{
    "scheme":5,
    "options":[
      {
        "type":0,
        "trigger":1,
        "frequency":3,
        "days":[
          0,
          1,
          2,
          3,
          4,
          5,
          6
        ],
        "startAt":[
          {
            "hour":9,
            "minute":29
          }
        ],
        "nthDayOfWeek":0,
        "interval":0
     }
    ],
    "retention":{
      "rule":3,
      "options":[
        {
          "number":3,
          "period":1,
          "type":0
        }
      ],
      "order":0
    },
    "backupWindow":[
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    ]
  },
  "compressionSettings":{
    "codec":2,
    "level":2
  },
  "encryptionSettings":null,
  "customActions":{
  "preBackupAction":{
      "windows":{
        "enabled":true,
        "scriptType":0,
        "command":"C:\\\\Users\\\\Name\\\\Desktop\\\\test.bat",
        "passwordId":"00000000-0000-0000-0000-000000000000",
        "arguments":null
      },
      "unix":{
        "enabled":false
      },
      "waitForExecution":true,
      "waitingInterval":0
    },
    "postSnapshotAction":null,
    "postBackupAction":null
  },
  "advancedOptions":{
    "useVss":"True",
    "maxTaskRetriesCount":3,
    "taskRetriesFrequency":60000,
    "maxConcurrentTasks":5,
    "largeResourcesBufferSize":134217728
  },
  "deltaSettings":null,
  "notificationSettings":{
    "enabled":false,
    "planNotificationsConfiguration":null,
    "recipients":[

    ]
  },
  "workerId":"758fa497-f93b-436f-9571-2a3f7d496ac1",
  "filteringSettings":null,
  "ignoreCorruptedAttachments":false,
  "organizationId":"017f210e-0edd-6645-82a8-f9c9c3cae4d6",
  "gitChoiceMode":3,
  "repositoriesIds":[

  ],
  "excludedRepositoriesIds":[

  ],
  "projectsIds":[

  ],
  "wikisIds":[

  ],
  "additionalCredentials":[

  ],
  "rules":[
    {
      "choiceMode":2,
      "type":2,
      "ruleChoice":{
        "meetAllRules":false,
        "rules":[

        ]
      }
    },
    {
      "choiceMode":2,
      "type":1,
      "ruleChoice":{
        "meetAllRules":false,
        "rules":[

        ]
      }
    }
  ],
  "storageId":"718fgta6-fo5c-4194-8d4e-13e91cd68a70",
  "type":1
}"""

REPOSITORIES_GETMANY_REQUEST = """{
    "id": "a4ac2cd0-a4ac-4ced-be39-a4ac31e033ff",
    "limit": 2,
    "orderby": "Name",
    "ordertype": "asc",
    "page": 1,
    "filters":[
    {
        "operator": "eq",
        "value": true,
        "property": "IsRemoved"
    }
    ]
}"""

ACTIVATE_REQUEST = """{
    "Ids":[
        "a4ac979e-0000-0000-0000-000000000000",
        "a4acca07-0000-0000-0000-000000000000",
        "a4ac7c5-0000-0000-0000-000000000000",
        "a4ac9d7a-0000-0000-0000-000000000000",
        "1a4ac9bc9-0000-0000-0000-000000000000",
        "a4ac79fe9-0000-0000-0000-000000000000",
        "a4ac3f220-0000-0000-0000-000000000000",
        "a4aca817-0000-0000-0000-000000000000"
    ]
}"""

DEACTIVATE_REQUEST = """{
    "Ids":[
        "a4ac7979e-0000-0000-0000-000000000000",
        "a4acdca07-0000-0000-0000-000000000000",
        "a4ac797c5-0000-0000-0000-000000000000",
        "a4ac79d7a-0000-0000-0000-000000000000",
        "a4ac79bc9-0000-0000-0000-000000000000",
        "a4ac79fe9-0000-0000-0000-000000000000",
        "a4ac3f220-0000-0000-0000-000000000000",
        "a4acea817-0000-0000-0000-000000000000"
    ]
}"""

REMOVE_REQUEST = """{
    "id": "a4acd28-eee0-404a-a4ac0-6ca4ac260ca",
    "removedata": true
}"""

SYNC_REQUEST = """{
    "id": "a4ac2cd0-a4ac-4ced-a4ac-60ca4ac3ff"
}"""

# call path -> its example body (a JSON text)
REQUEST_EXAMPLES = {
    "/account/login": LOGIN_REQUEST,
    "/git/organizations/getmany": ORGANIZATIONS_GETMANY_REQUEST,
    "/plans/listassignedtoorganization": LIST_ASSIGNED_REQUEST,
    "/plans/attachgitrepository": ATTACH_GIT_REPOSITORY_REQUEST,
    "/plans/attachazureproject": ATTACH_AZURE_PROJECT_REQUEST,
    "/plans/detachgitrepository": DETACH_GIT_REPOSITORY_REQUEST,
    "/plans/detachazureproject": DETACH_AZURE_PROJECT_REQUEST,
    "/plans/modifygitplan": MODIFY_GIT_PLAN_REQUEST,
    "/plans/modifyazureplanasync": MODIFY_AZURE_PLAN_REQUEST,
    "/git/repositories/getmany": REPOSITORIES_GETMANY_REQUEST,
    "/git/repositories/activate": ACTIVATE_REQUEST,
    "/git/repositories/deactivate": DEACTIVATE_REQUEST,
    "/git/repositories/remove": REMOVE_REQUEST,
    "/git/repositories/sync": SYNC_REQUEST,
}
